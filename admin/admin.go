// Package admin serves the gateway's admin listener: Prometheus metrics and
// the health endpoints that orchestrators probe.
package admin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options are what the admin listener reports on.
type Options struct {
	// Metrics is the registry served at /metrics.
	Metrics prometheus.Gatherer
	// Ready reports whether the gateway takes new requests; /readyz
	// answers 503 while it does not (during a drain).
	Ready func() bool
	// Targets, when set, lists the upstream targets and their health for
	// /readyz?verbose.
	Targets func() []Target
}

// Target is one upstream target's health as /readyz?verbose lists it.
type Target struct {
	Upstream string
	URL      string
	Up       bool
	// Why says why the target is out, or what its last failure was.
	Why string
}

// Handler returns the admin listener's handler:
//
//	GET /metrics   Prometheus metrics
//	GET /healthz   200 while the process runs
//	GET /readyz    200 while the gateway takes new requests, else 503;
//	               with ?verbose, one line per upstream target after that
//
// Upstream targets that are down do not fail /readyz: every gateway of a
// fleet sees the same upstreams, so taking gateways out of rotation for
// them turns a partial outage into a whole one, and the gateway still
// answers those requests with 502 and the route's CORS headers.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		status := http.StatusOK
		if o.Ready != nil && !o.Ready() {
			status = http.StatusServiceUnavailable
			b.WriteString("draining\n")
		} else {
			b.WriteString("ready\n")
		}
		if _, verbose := r.URL.Query()["verbose"]; verbose && o.Targets != nil {
			for _, t := range o.Targets() {
				state := "up"
				if !t.Up {
					state = "down"
				}
				fmt.Fprintf(&b, "upstream %s target %s %s", t.Upstream, t.URL, state)
				if t.Why != "" {
					fmt.Fprintf(&b, " (%s)", t.Why)
				}
				b.WriteByte('\n')
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b.String()))
	})
	return mux
}

// Package admin serves the gateway's admin listener: Prometheus metrics,
// the health endpoints that orchestrators probe, the Admin API and the web
// console under /ui/.
package admin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
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
	// ConfigReady, when set, reports whether the gateway has a config to
	// serve (a cluster node before its first snapshot has none); /readyz
	// answers 503 with the error while it does not.
	ConfigReady func() error
	// ConfigServing, when set, says which config the gateway serves, on
	// /readyz's first line (a cluster node: etcd's, or its snapshot
	// file's while etcd has not answered).
	ConfigServing func() string

	// Auth, when set with Config, serves the Admin API (/v1/) with its
	// keys.
	Auth *Auth
	// Config returns the config the gateway serves.
	Config func() *config.Config
	// Store, when set, is the cluster store the Admin API reads and
	// changes; without one the API reads Config and is read-only.
	Store config.ResourceStore

	// Explain answers a request as the gateway would, without sending it
	// (gateway.Gateway.Explain). With Config and Decisions it enables
	// POST /v1/explain and the console.
	Explain func(*http.Request) decisions.Answer
	// Decisions are the gateway's recent CORS decisions.
	Decisions *decisions.Log
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
//	/v1/...        the Admin API (see registerAPI), with Auth and Config
//	POST /v1/explain  a request in, the route, the gateway's answers and
//	               the browser's verdict out (viewer), with Explain
//	/ui/           the web console, with Explain and Decisions
//
// Upstream targets that are down do not fail /readyz: every gateway of a
// fleet sees the same upstreams, so taking gateways out of rotation for
// them turns a partial outage into a whole one, and the gateway still
// answers those requests with 502 and the route's CORS headers.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	if o.Config != nil && o.Explain != nil && o.Decisions != nil {
		auth := o.Auth
		if auth == nil {
			auth = &Auth{}
		}
		mux.Handle("POST /v1/explain", auth.Require(RoleViewer, explain(o.Explain, o.Config)))
		c := newConsole(o, auth, mux)
		mux.Handle("/ui/", c)
		mux.Handle("GET /ui", c)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		status := http.StatusOK
		var notReady error
		if o.ConfigReady != nil {
			notReady = o.ConfigReady()
		}
		switch {
		case o.Ready != nil && !o.Ready():
			status = http.StatusServiceUnavailable
			b.WriteString("draining\n")
		case notReady != nil:
			status = http.StatusServiceUnavailable
			b.WriteString(notReady.Error() + "\n")
		case o.ConfigServing != nil:
			b.WriteString("ready: " + o.ConfigServing() + "\n")
		default:
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
	if o.Auth != nil && o.Config != nil {
		registerAPI(mux, o.Auth, &api{current: o.Config, store: o.Store})
	}
	return mux
}

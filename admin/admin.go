// Package admin serves the gateway's admin listener: Prometheus metrics and
// the health endpoints that orchestrators probe.
package admin

import (
	"net/http"

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
}

// Handler returns the admin listener's handler:
//
//	GET /metrics   Prometheus metrics
//	GET /healthz   200 while the process runs
//	GET /readyz    200 while the gateway takes new requests, else 503
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if o.Ready != nil && !o.Ready() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

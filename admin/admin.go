// Package admin serves the gateway's admin listener: Prometheus metrics,
// the health endpoints that orchestrators probe, the Admin API and the web
// console under /ui/.
package admin

import (
	"net/http"

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

	// Auth checks the Admin API's keys; nil is an Auth without keys.
	Auth *Auth
	// Config returns the config the gateway serves. With Explain and
	// Decisions it enables POST /v1/explain and the console.
	Config func() *config.Config
	// Explain answers a request as the gateway would, without sending it
	// (gateway.Gateway.Explain).
	Explain func(*http.Request) decisions.Answer
	// Decisions are the gateway's recent CORS decisions.
	Decisions *decisions.Log
}

// Handler returns the admin listener's handler:
//
//	GET /metrics   Prometheus metrics
//	GET /healthz   200 while the process runs
//	GET /readyz    200 while the gateway takes new requests, else 503
//	POST /v1/explain  a request in, the route, the gateway's answers and
//	               the browser's verdict out (viewer)
//	/ui/           the web console
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	if o.Config != nil && o.Explain != nil && o.Decisions != nil {
		auth := o.Auth
		if auth == nil {
			auth = &Auth{}
		}
		mux.Handle("POST /v1/explain", auth.Require(RoleViewer, explain(o.Explain, o.Config)))
		mux.Handle("/ui/", newConsole(o, auth, mux))
		mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	}
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

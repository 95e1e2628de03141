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
	// ConfigReady, when set, reports whether the gateway has a config to
	// serve (a cluster node before its first snapshot has none); /readyz
	// answers 503 with the error while it does not.
	ConfigReady func() error

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
}

// Handler returns the admin listener's handler:
//
//	GET /metrics   Prometheus metrics
//	GET /healthz   200 while the process runs
//	GET /readyz    200 while the gateway takes new requests, else 503
//	/v1/...        the Admin API (see registerAPI), with Auth and Config
//	POST /v1/explain  a request in, the route, the gateway's answers and
//	               the browser's verdict out (viewer), with Explain
//	/ui/           the web console, with Explain and Decisions
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
		if o.Ready != nil && !o.Ready() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		if o.ConfigReady != nil {
			if err := o.ConfigReady(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if o.Auth != nil && o.Config != nil {
		registerAPI(mux, o.Auth, &api{current: o.Config, store: o.Store})
	}
	return mux
}

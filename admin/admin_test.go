package admin_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/admin"
	"github.com/prometheus/client_golang/prometheus"
)

func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "crossgate_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	ready := true
	h := admin.Handler(admin.Options{Metrics: reg, Ready: func() bool { return ready }})

	tests := []struct {
		name     string
		method   string
		path     string
		draining bool
		status   int
		body     string
	}{
		{"metrics", "GET", "/metrics", false, 200, "crossgate_test_total 3"},
		{"healthz", "GET", "/healthz", false, 200, "ok"},
		{"readyz when ready", "GET", "/readyz", false, 200, "ready"},
		{"readyz while draining", "GET", "/readyz", true, 503, "draining"},
		{"healthz while draining", "GET", "/healthz", true, 200, "ok"},
		{"unknown path", "GET", "/nope", false, 404, ""},
		{"metrics is read-only", "POST", "/metrics", false, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready = !tt.draining
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("body %q lacks %q", w.Body.String(), tt.body)
			}
		})
	}
}

// TestReadyzVerbose: /readyz?verbose lists every target with its state,
// and the status stays the drain's alone: a target that is down does not
// make the gateway unready.
func TestReadyzVerbose(t *testing.T) {
	ready := true
	h := admin.Handler(admin.Options{Metrics: prometheus.NewRegistry(), Ready: func() bool { return ready }, Targets: func() []admin.Target {
		return []admin.Target{
			{Upstream: "users", URL: "http://127.0.0.1:9001", Up: true},
			{Upstream: "users", URL: "http://127.0.0.1:9002", Up: false, Why: "health check failing: connection refused"},
		}
	}})
	const targets = "upstream users target http://127.0.0.1:9001 up\n" +
		"upstream users target http://127.0.0.1:9002 down (health check failing: connection refused)\n"
	tests := []struct {
		name     string
		path     string
		draining bool
		status   int
		body     string
	}{
		{"plain", "/readyz", false, 200, "ready\n"},
		{"verbose", "/readyz?verbose", false, 200, "ready\n" + targets},
		{"verbose while draining", "/readyz?verbose", true, 503, "draining\n" + targets},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready = !tt.draining
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", tt.path, nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}

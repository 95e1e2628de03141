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

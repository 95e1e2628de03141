package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

// BenchmarkGateway measures the gateway's handler in process (no network
// between client and gateway; a loopback upstream behind it), with the
// access log written as JSON to io.Discard.
func BenchmarkGateway(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":1}`))
	}))
	defer up.Close()
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(`
policies:
  web:
    allow_origins: [https://app.example.com]
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, Authorization]
    allow_credentials: true
    max_age: 7200
upstreams:
  u: {targets: [%s]}
routes:
  - {id: users, path_prefix: /users/, upstream: u, cors: web}
`, up.URL)))
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{AccessLog: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"preflight/allowed", func() *http.Request {
			r := httptest.NewRequest("OPTIONS", "/users/1", nil)
			r.Header.Set("Origin", "https://app.example.com")
			r.Header.Set("Access-Control-Request-Method", "PUT")
			r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			return r
		}, 204},
		{"preflight/refused", func() *http.Request {
			r := httptest.NewRequest("OPTIONS", "/users/1", nil)
			r.Header.Set("Origin", "https://evil.test")
			r.Header.Set("Access-Control-Request-Method", "PUT")
			return r
		}, 403},
		{"proxied-get/allowed", func() *http.Request {
			r := httptest.NewRequest("GET", "/users/1", nil)
			r.Header.Set("Origin", "https://app.example.com")
			return r
		}, 200},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := c.req()
			w := &discardWriter{h: http.Header{}}
			g.ServeHTTP(w, r)
			if w.code != c.want {
				b.Fatalf("status %d, want %d", w.code, c.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				g.ServeHTTP(w, r)
			}
		})
	}
}

// discardWriter keeps the status and headers and drops the body, so that
// the benchmark measures the gateway rather than a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

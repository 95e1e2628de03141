package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/gateway"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkGateway measures the gateway's handler in process (no network
// between client and gateway; a loopback upstream behind it), with the
// access log written as JSON to io.Discard.
func BenchmarkGateway(b *testing.B) {
	cfg := benchConfig(b, `
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
`)
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

// benchConfig parses yaml with the URL of a loopback upstream, which
// answers a small JSON body, in place of its %s.
func benchConfig(b *testing.B, yaml string) *config.Config {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":1}`))
	}))
	b.Cleanup(up.Close)
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(yaml, up.URL)))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
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

// BenchmarkConsoleCost measures what the console costs the request path:
// the same gateway without a decisions log (none), recording every decision
// (recording), and recording with a console reading the event stream of a
// real admin listener (console). Requests come from many goroutines at
// once, as on a listener, so that contention on the log shows.
func BenchmarkConsoleCost(b *testing.B) {
	cfg := benchConfig(b, `
policies:
  web: {allow_origins: [https://app.example.com], allow_methods: [GET, PUT], max_age: 7200}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: users, path_prefix: /users/, upstream: u, cors: web}
`)
	requests := []struct {
		name string
		req  func() *http.Request
	}{
		{"preflight-refused", func() *http.Request {
			r := httptest.NewRequest("OPTIONS", "/users/1", nil)
			r.Header.Set("Origin", "https://evil.test")
			r.Header.Set("Access-Control-Request-Method", "PUT")
			return r
		}},
		{"proxied-get-refused", func() *http.Request {
			r := httptest.NewRequest("GET", "/users/1", nil)
			r.Header.Set("Origin", "https://evil.test")
			return r
		}},
	}
	for _, rq := range requests {
		for _, mode := range []string{"none", "recording", "console"} {
			b.Run(rq.name+"/log="+mode, func(b *testing.B) {
				var recent *decisions.Log
				if mode != "none" {
					recent = &decisions.Log{}
				}
				g, err := gateway.New(cfg, gateway.Options{AccessLog: io.Discard, Decisions: recent})
				if err != nil {
					b.Fatal(err)
				}
				if mode == "console" {
					stop := openConsole(b, g, recent)
					defer stop()
				}
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					r := rq.req()
					w := &discardWriter{h: http.Header{}}
					for pb.Next() {
						clear(w.h)
						w.code = 0
						g.ServeHTTP(w, r)
					}
				})
			})
		}
	}
}

// openConsole serves g's admin listener on loopback and reads its console
// event stream until stop is called.
func openConsole(b *testing.B, g *gateway.Gateway, recent *decisions.Log) (stop func()) {
	adm := httptest.NewServer(admin.Handler(admin.Options{
		Metrics: prometheus.NewRegistry(), Config: g.Config, Explain: g.Explain, Decisions: recent,
	}))
	resp, err := http.Get(adm.URL + "/ui/api/events")
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("event stream: %v %v", err, resp)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	return func() {
		resp.Body.Close()
		<-done
		adm.CloseClientConnections()
		adm.Close()
	}
}

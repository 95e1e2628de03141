package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"
)

// scaleConfig writes the config of a gateway in front of a fleet: routes
// routes spread over policies policies of ten origins each, all to one
// upstream at target. Route i has the prefix /r<i>/ (stripped) and policy p<i mod
// policies>, whose origins are https://o<j>.p<k>.example.com for j < 10.
// bench/routes.sh writes the same configs.
func scaleConfig(routes, policies int, target string) []byte {
	var b strings.Builder
	b.WriteString("policies:\n")
	for k := range policies {
		fmt.Fprintf(&b, "  p%d:\n    allow_origins: [", k)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "https://o%d.p%d.example.com", j, k)
		}
		b.WriteString("]\n    allow_methods: [GET, POST, PUT, DELETE]\n    allow_headers: [Content-Type, Authorization]\n    max_age: 7200\n")
	}
	fmt.Fprintf(&b, "upstreams:\n  u: {targets: [%s]}\nroutes:\n", target)
	for i := range routes {
		fmt.Fprintf(&b, "  - {id: r%d, path_prefix: /r%d/, strip_prefix: true, upstream: u, cors: p%d}\n", i, i, i%policies)
	}
	return []byte(b.String())
}

// loop runs f as b.Loop does and reports, beside the wall time, the CPU
// time the process spent per iteration, garbage collection included
// (cpu-ns/op): on a machine shared with other work, wall time measures
// the other work as much as f.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start, ok := cpuTime()
	for b.Loop() {
		f()
	}
	if end, _ := cpuTime(); ok {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// withPolicy returns a copy of c whose policy name allows one more origin.
func withPolicy(c *config.Config, name string) *config.Config {
	changed := *c
	changed.Policies = make(map[string]*config.Policy, len(c.Policies))
	for k, p := range c.Policies {
		changed.Policies[k] = p
	}
	p := *c.Policies[name]
	p.AllowOrigins = append(p.AllowOrigins[:len(p.AllowOrigins):len(p.AllowOrigins)], "https://new.example.com")
	changed.Policies[name] = &p
	return &changed
}

// BenchmarkSnapshot measures what a gateway does with a config of 10,000
// routes and 1,000 policies: load it whole as serve does at start (parse,
// validate, lint, build), and take in a config that changes one policy,
// once parsed (a reload of a file, or of a cluster node when one etcd key
// changes): lint the whole snapshot again, and build only what the change
// touches.
func BenchmarkSnapshot(b *testing.B) {
	data := scaleConfig(10000, 1000, "http://127.0.0.1:1")
	b.Run("routes=10000/whole", func(b *testing.B) {
		loop(b, func() {
			cfg, err := config.Parse("big.yaml", data)
			if err != nil {
				b.Fatal(err)
			}
			if err := lint.Refuse(lint.Check(cfg)); err != nil {
				b.Fatal(err)
			}
			if _, err := New(cfg, Options{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	cfg, err := config.Parse("big.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	// The parts of the whole, and the YAML library's share of parsing.
	b.Run("routes=10000/whole/yaml-library", func(b *testing.B) {
		loop(b, func() {
			var n yaml.Node
			if err := yaml.Unmarshal(data, &n); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("routes=10000/whole/parse", func(b *testing.B) {
		loop(b, func() {
			if _, err := config.Parse("big.yaml", data); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("routes=10000/whole/lint", func(b *testing.B) {
		loop(b, func() {
			lint.Check(cfg)
		})
	})
	b.Run("routes=10000/whole/build", func(b *testing.B) {
		loop(b, func() {
			if _, err := New(cfg, Options{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	// The config of a reload that adds an origin to one policy, parsed as
	// a reload parses it.
	changed, err := config.Parse("big.yaml", bytes.Replace(data, []byte("[https://o0.p500.example.com,"), []byte("[https://new.example.com, https://o0.p500.example.com,"), 1))
	if err != nil || changed.Policies["p500"].Equal(cfg.Policies["p500"]) {
		b.Fatalf("the changed config: %v", err)
	}
	g, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		lint bool
	}{{"routes=10000/one-policy-changed", true}, {"routes=10000/one-policy-changed/build-only", false}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			loop(b, func() {
				next := cfg
				if i++; i%2 == 1 {
					next = changed
				}
				if c.lint {
					if err := lint.Refuse(lint.Check(next)); err != nil {
						b.Fatal(err)
					}
				}
				if err := g.Swap(next); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// TestSwapReusesWhatDidNotChange reloads configs that differ from the one
// served in one policy, one upstream or one route, parsed anew each time
// as a reload does, and checks that exactly what the change touches is
// built again: the rest keeps its compiled policy, its connections and its
// series.
func TestSwapReusesWhatDidNotChange(t *testing.T) {
	const base = `
policies:
  a: {allow_origins: [https://a.example.com]}
  b: {allow_origins: [https://b.example.com]}
upstreams:
  u: {targets: ["http://127.0.0.1:1"]}
  v: {targets: ["http://127.0.0.1:2"]}
routes:
  - {id: ra, path_prefix: /a/, upstream: u, cors: a}
  - {id: rb, path_prefix: /b/, upstream: u, cors: b}
  - {id: rv, path_prefix: /v/, upstream: v, cors: b}
  - {id: ri, path: /i, upstream: u, cors: {allow_origins: [https://i.example.com]}}
`
	tests := []struct {
		name    string
		from    string
		to      string
		rebuilt []string // route ids
	}{
		{"nothing", "", "", nil},
		{"one policy", "b: {allow_origins: [https://b.example.com]}", "b: {allow_origins: [https://b.example.com, https://c.example.com]}", []string{"rb", "rv"}},
		{"one upstream", `v: {targets: ["http://127.0.0.1:2"]}`, `v: {targets: ["http://127.0.0.1:3"]}`, []string{"rv"}},
		{"one route", "{id: ra, path_prefix: /a/,", "{id: ra, path_prefix: /aa/,", []string{"ra"}},
		{"an inline policy", "[https://i.example.com]", "[https://j.example.com]", []string{"ri"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := config.Parse("a.yaml", []byte(base))
			if err != nil {
				t.Fatal(err)
			}
			after, err := config.Parse("b.yaml", []byte(strings.Replace(base, tt.from, tt.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			g, err := New(before, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s1 := g.cur.Load()
			if err := g.Swap(after); err != nil {
				t.Fatal(err)
			}
			s2 := g.cur.Load()
			for id, r2 := range s2.routes {
				r1 := s1.routes[id]
				rebuilt := r1 != r2
				if want := slices.Contains(tt.rebuilt, id); rebuilt != want {
					t.Errorf("route %s: rebuilt %v, want %v", id, rebuilt, want)
				}
				if r2.conf != findRoute(after, id) && rebuilt {
					t.Errorf("route %s was rebuilt from another config than the new one", id)
				}
				if !rebuilt {
					continue
				}
				// What the route was rebuilt with is the new config's.
				if _, p := after.RoutePolicy(r2.conf); !r2.policy.conf.Equal(p) {
					t.Errorf("route %s: policy %+v, want %+v", id, r2.policy.conf, p)
				}
				if r2.upstream != s2.upstreams[r2.conf.Upstream] {
					t.Errorf("route %s does not use the snapshot's upstream %s", id, r2.conf.Upstream)
				}
			}
			for id, u := range s2.upstreams {
				if kept := s1.upstreams[id] == u; kept != after.Upstreams[id].Equal(before.Upstreams[id]) {
					t.Errorf("upstream %s: kept %v, but its config changed: %v", id, kept, !kept)
				}
			}
		})
	}
}

func findRoute(c *config.Config, id string) *config.Route {
	for _, r := range c.Routes {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// BenchmarkScrape serves a preflight and a proxied GET on every route of a
// config of 10,000 routes, with per-route series on and off, then measures
// a scrape of /metrics. Beside the scrape's time it reports its size
// (series, bytes), the heap of the parsed config per route (config-B/route,
// with the 1,000 CORS policies validation compiled and the gateway uses),
// and the heap each route costs beyond it: once built (route-B-built) and
// once every route has served (route-B-served).
func BenchmarkScrape(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer up.Close()
	const n = 10000
	for _, perRoute := range []string{"off", "on"} {
		b.Run("routes=10000/per_route="+perRoute, func(b *testing.B) {
			data := append([]byte("metrics: {per_route: "+perRoute+"}\n"), scaleConfig(n, 1000, up.URL)...)
			heap := func() uint64 {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				return ms.HeapAlloc
			}
			start := heap()
			cfg, err := config.Parse("big.yaml", data)
			if err != nil {
				b.Fatal(err)
			}
			before := heap()
			g, err := New(cfg, Options{})
			if err != nil {
				b.Fatal(err)
			}
			built := heap()
			for i := range n {
				origin := fmt.Sprintf("https://o0.p%d.example.com", i%1000)
				pre := httptest.NewRequest("OPTIONS", fmt.Sprintf("/r%d/x", i), nil)
				pre.Header.Set("Origin", origin)
				pre.Header.Set("Access-Control-Request-Method", "PUT")
				get := httptest.NewRequest("GET", fmt.Sprintf("/r%d/x", i), nil)
				get.Header.Set("Origin", origin)
				for _, r := range []*http.Request{pre, get} {
					w := httptest.NewRecorder()
					g.ServeHTTP(w, r)
					if w.Code/100 != 2 {
						b.Fatalf("%s %s: %d", r.Method, r.URL, w.Code)
					}
				}
			}
			served := heap()
			runtime.KeepAlive(cfg)
			scrape := promhttp.HandlerFor(g.Metrics().Registry, promhttp.HandlerOpts{})
			var w *httptest.ResponseRecorder
			b.ReportAllocs()
			for b.Loop() {
				w = httptest.NewRecorder()
				scrape.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			}
			series := 0
			for l := range strings.Lines(w.Body.String()) {
				if !strings.HasPrefix(l, "#") {
					series++
				}
			}
			b.ReportMetric(float64(series), "series")
			b.ReportMetric(float64(w.Body.Len()), "scrape-bytes")
			b.ReportMetric(float64(before-start)/n, "config-B/route")
			b.ReportMetric(float64(built-before)/n, "route-B-built")
			b.ReportMetric(float64(served-before)/n, "route-B-served")
		})
	}
}

// flipStore serves a list of parsed configs in turn, one more on each
// Load, as a store whose config changes between reloads.
type flipStore struct {
	mu      sync.Mutex
	configs []*config.Config
	loads   int
}

func (s *flipStore) Load(context.Context) (*config.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.configs[s.loads%len(s.configs)]
	s.loads++
	return c, nil
}

func (s *flipStore) Watch(context.Context) (<-chan struct{}, error) { return nil, nil }

// TestReloadLargeConfigUnderLoad reloads a config of 10,000 routes, lint
// included as serve does, ten times while clients send preflights and GETs
// to routes all over it, those of the changed policy among them: not one
// request may fail or see a policy other than one of the two configs'.
func TestReloadLargeConfigUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10,000 routes")
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer up.Close()
	a, err := config.Parse("a.yaml", append([]byte("listen: 127.0.0.1:0\n"), scaleConfig(10000, 1000, up.URL)...))
	if err != nil {
		t.Fatal(err)
	}
	b := withPolicy(a, "p7") // routes r7, r1007, ... allow https://new.example.com too
	store := &flipStore{configs: []*config.Config{a, b}}
	reload := make(chan struct{})
	ready := make(chan net.Addr, 1)
	srv := &Server{Store: store, Reload: reload, Check: func(c *config.Config) error { return lint.Refuse(lint.Check(c)) },
		Ready: func(g, _ net.Addr) { ready <- g }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start")
	}

	stop := make(chan struct{})
	var total, failures atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 15 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 12))
			for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				route := rng.IntN(10000)
				if i%4 == 0 {
					route = 7 + 1000*rng.IntN(10) // the changed policy's
				}
				origin := fmt.Sprintf("https://o3.p%d.example.com", route%1000)
				method := "GET"
				if i%2 == 1 {
					method = "OPTIONS"
				}
				req, _ := http.NewRequest(method, fmt.Sprintf("http://%s/r%d/users/1", addr, route), nil)
				req.Header.Set("Origin", origin)
				if method == "OPTIONS" {
					req.Header.Set("Access-Control-Request-Method", "PUT")
				}
				total.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("%s %s: %v", method, req.URL, err)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
					if failures.Add(1) > 5 {
						continue
					}
					t.Errorf("%s %s: %d, Access-Control-Allow-Origin %q", method, req.URL, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
				}
			}
		}()
	}
	// Wait for each reload to be served before asking for the next.
	g := srv.Gateway()
	for range 10 {
		before := g.cur.Load()
		reload <- struct{}{}
		for g.cur.Load() == before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if g.cur.Load() == before {
			t.Fatal("a reload was not applied in time")
		}
	}
	close(stop)
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	t.Logf("%d requests during 10 reloads of 10,000 routes, %d failed", total.Load(), failures.Load())
	if total.Load() < 100 {
		t.Errorf("only %d requests ran during the reloads", total.Load())
	}
}

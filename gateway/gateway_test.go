package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/loopback"
)

// upstream is a loopback backend that records what reaches it.
type upstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.requests = append(u.requests, r.Clone(context.Background()))
		u.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count(method string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, r := range u.requests {
		if method == "" || r.Method == method {
			n++
		}
	}
	return n
}

func (u *upstream) last() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.requests) == 0 {
		return nil
	}
	return u.requests[len(u.requests)-1]
}

// startGateway serves a config (with %s replaced by the upstream URLs) on a
// loopback listener.
func startGateway(t *testing.T, yaml string, upstreams ...string) (*httptest.Server, *gateway.Gateway) {
	t.Helper()
	args := make([]any, len(upstreams))
	for i, u := range upstreams {
		args[i] = u
	}
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(yaml, args...)))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	g, err := gateway.New(cfg, gateway.Options{})
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, g
}

const basicConfig = `
policies:
  web:
    allow_origins: [https://app.example.com, "https://*.example.com"]
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, Authorization]
    expose_headers: [X-Request-Id]
    allow_credentials: true
    max_age: 7200
upstreams:
  users: {targets: [%s], timeout: 2s}
routes:
  - id: users
    path_prefix: /users/
    methods: [GET, POST, PUT]
    upstream: users
    cors: web
  - id: open
    path: /health
    upstream: users
    cors: "off"
`

func do(t *testing.T, method, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestGatewayModeCORS(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		// A careless upstream with CORS headers of its own.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Add("Access-Control-Allow-Origin", "https://other.example.org")
		w.Header().Set("Access-Control-Allow-Methods", "*")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("X-Request-Id", "r1")
		fmt.Fprint(w, "hello")
	})
	gw, _ := startGateway(t, basicConfig, up.URL)

	tests := []struct {
		name       string
		method     string
		path       string
		hdr        map[string]string
		wantStatus int
		wantACAO   []string // nil: header absent
		wantVary   []string
		wantHeader map[string]string
	}{
		{
			name: "allowed actual request: exactly one ACAO, the origin", method: "GET", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://app.example.com"},
			wantStatus: 200, wantACAO: []string{"https://app.example.com"},
			wantVary:   []string{"Accept-Encoding", "Origin"},
			wantHeader: map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": "X-Request-Id", "Access-Control-Allow-Methods": ""},
		},
		{
			name: "refused origin: no ACAO although the upstream sent one", method: "GET", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://evil.test"},
			wantStatus: 200, wantACAO: nil, wantVary: []string{"Accept-Encoding", "Origin"},
		},
		{
			name: "no origin: upstream's ACAO removed, Vary: Origin", method: "GET", path: "/users/1",
			wantStatus: 200, wantACAO: nil, wantVary: []string{"Accept-Encoding", "Origin"},
		},
		{
			name: "preflight answered at the edge", method: "OPTIONS", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://a.b.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,content-type"},
			wantStatus: 204, wantACAO: []string{"https://a.b.example.com"},
			wantVary:   []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
			wantHeader: map[string]string{"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE", "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "7200"},
		},
		{
			name: "preflight for a method the route leaves out of methods is still answered", method: "OPTIONS", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"},
			wantStatus: 204, wantACAO: []string{"https://app.example.com"},
		},
		{
			name: "refused preflight: 403 without Allow headers, the reason in its own header", method: "OPTIONS", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"},
			wantStatus: 403, wantACAO: nil,
			wantHeader: map[string]string{"Crossgate-Cors-Refusal": "origin-not-allowed"},
		},
		{
			name: "refused preflight names the header refused", method: "OPTIONS", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-debug"},
			wantStatus: 403, wantACAO: nil,
			wantHeader: map[string]string{"Crossgate-Cors-Refusal": "headers-not-allowed: x-debug"},
		},
		{
			name: "route with cors off passes the upstream's headers untouched", method: "GET", path: "/health",
			hdr:        map[string]string{"Origin": "https://evil.test"},
			wantStatus: 200, wantACAO: []string{"*", "https://other.example.org"}, wantVary: []string{"Accept-Encoding"},
		},
		{
			name: "no route: 404 without CORS headers", method: "GET", path: "/nowhere",
			hdr:        map[string]string{"Origin": "https://app.example.com"},
			wantStatus: 404, wantACAO: nil,
		},
		{
			name: "wrong method on a routed path: 405 with CORS headers and Allow", method: "PATCH", path: "/users/1",
			hdr:        map[string]string{"Origin": "https://app.example.com"},
			wantStatus: 405, wantACAO: []string{"https://app.example.com"},
			wantHeader: map[string]string{"Allow": "GET, HEAD, POST, PUT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, tt.method, gw.URL+tt.path, tt.hdr)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Values("Access-Control-Allow-Origin"); !equal(got, tt.wantACAO) {
				t.Errorf("ACAO = %q, want %q", got, tt.wantACAO)
			}
			if tt.wantVary != nil {
				if got := resp.Header.Values("Vary"); !equal(got, tt.wantVary) {
					t.Errorf("Vary = %q, want %q", got, tt.wantVary)
				}
			}
			for k, v := range tt.wantHeader {
				if got := strings.Join(resp.Header.Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tt.wantACAO == nil {
				for k := range resp.Header {
					if strings.HasPrefix(k, "Access-Control-Allow-") {
						t.Errorf("unexpected %s: %q", k, resp.Header.Values(k))
					}
				}
			}
		})
	}
	if n := up.count("OPTIONS"); n != 0 {
		t.Errorf("upstream received %d preflights in gateway mode, want 0", n)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGatewayErrorsCarryCORS(t *testing.T) {
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	stoppedURL := "http://" + loopback.RefusedAddr(t)
	echo := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(w, r.Body); err != nil {
			// The gateway's limit surfaces here as a failed read.
			return
		}
	})

	gw, _ := startGateway(t, `
policies:
  web: {allow_origins: [https://app.example.com], enforce_origin: true}
upstreams:
  down: {targets: [%s]}
  slow: {targets: [%s], timeout: 200ms}
  echo: {targets: [%s]}
routes:
  - {id: down, path_prefix: /down/, upstream: down, cors: web}
  - {id: slow, path_prefix: /slow/, upstream: slow, cors: web}
  - {id: small, path_prefix: /small/, upstream: echo, cors: web, max_body_bytes: 10}
`, stoppedURL, slow.URL, echo.URL)

	tests := []struct {
		name, path, origin string
		want               int
		wantACAO           string
	}{
		{"stopped upstream gives 502 with CORS", "/down/x", "https://app.example.com", 502, "https://app.example.com"},
		{"slow upstream gives 504 with CORS", "/slow/x", "https://app.example.com", 504, "https://app.example.com"},
		{"enforce_origin refuses before the upstream", "/slow/x", "https://evil.test", 403, ""},
	}
	// A body of unknown length is streamed upstream until it goes over
	// the limit: whether the upstream's handler ran by then is a race, so
	// that case checks only what the client gets.
	const reached, untouched, either = "reached", "untouched", ""
	bodies := []struct {
		name     string
		body     io.Reader
		want     int
		upstream string
	}{
		{"body within the limit", strings.NewReader("0123456789"), 200, reached},
		{"declared body over the limit gives 413 with CORS, upstream untouched", strings.NewReader("0123456789+"), 413, untouched},
		{"streamed body over the limit gives 413 with CORS", io.MultiReader(strings.NewReader("01234"), strings.NewReader("56789+")), 413, either},
	}
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			before := echo.count("")
			req, _ := http.NewRequest("POST", gw.URL+"/small/x", tt.body)
			req.Header.Set("Origin", "https://app.example.com")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
				t.Errorf("ACAO = %q", got)
			}
			if got := echo.count("") > before; tt.upstream != either && got != (tt.upstream == reached) {
				t.Errorf("upstream reached: %v, want %s", got, tt.upstream)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slow.count("")
			resp := do(t, "GET", gw.URL+tt.path, map[string]string{"Origin": tt.origin})
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("ACAO = %q, want %q", got, tt.wantACAO)
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary = %q, want Origin", resp.Header.Values("Vary"))
			}
			if tt.want == 403 && slow.count("") != before {
				t.Error("the upstream was called for a refused origin")
			}
		})
	}
}

func TestUpstreamModeCachesPreflights(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "OPTIONS" {
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(204)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
	})
	gw, g := startGateway(t, `
policies:
  svc: {allow_origins: [https://app.example.com], mode: upstream}
upstreams:
  svc: {targets: [%s]}
routes:
  - {id: svc, path_prefix: /, upstream: svc, cors: svc}
`, up.URL)
	pre := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
	for i := range 3 {
		resp := do(t, "OPTIONS", gw.URL+"/x", pre)
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.Header.Get("Access-Control-Max-Age") != "600" {
			t.Fatalf("preflight %d: status %d, headers %v", i, resp.StatusCode, resp.Header)
		}
	}
	if n := up.count("OPTIONS"); n != 1 {
		t.Errorf("upstream received %d preflights, want 1 (the rest from cache)", n)
	}
	// A different origin is a different cache entry.
	do(t, "OPTIONS", gw.URL+"/x", map[string]string{"Origin": "https://b.example.com", "Access-Control-Request-Method": "PUT"})
	if n := up.count("OPTIONS"); n != 2 {
		t.Errorf("upstream received %d preflights, want 2", n)
	}
	// Actual requests keep the upstream's own CORS headers.
	resp := do(t, "GET", gw.URL+"/x", map[string]string{"Origin": "https://app.example.com"})
	if got := resp.Header.Values("Access-Control-Allow-Origin"); !equal(got, []string{"https://app.example.com"}) {
		t.Errorf("ACAO = %q", got)
	}
	if hits := metricValue(t, g, "crossgate_preflight_cache_total", "route", "svc", "result", "hit"); hits != 2 {
		t.Errorf("cache hits = %v, want 2", hits)
	}
}

func TestShadowModeCountsDisagreements(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		// The upstream reflects every origin: the gateway's policy would not.
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	})
	gw, g := startGateway(t, `
policies:
  svc: {allow_origins: [https://app.example.com], mode: shadow}
upstreams:
  svc: {targets: [%s]}
routes:
  - {id: svc, path_prefix: /, upstream: svc, cors: svc}
`, up.URL)
	do(t, "GET", gw.URL+"/x", map[string]string{"Origin": "https://app.example.com"}) // agree
	resp := do(t, "GET", gw.URL+"/x", map[string]string{"Origin": "https://evil.test"})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://evil.test" {
		t.Errorf("shadow mode changed the response: ACAO = %q", got)
	}
	if n := metricValue(t, g, "crossgate_cors_shadow_disagreements_total", "route", "svc", "kind", "actual", "gateway", "refuse"); n != 1 {
		t.Errorf("disagreements = %v, want 1", n)
	}
	if n := metricValue(t, g, "crossgate_cors_shadow_disagreements_total", "route", "svc", "kind", "actual", "gateway", "allow"); n != 0 {
		t.Errorf("allow-disagreements = %v, want 0", n)
	}
}

func TestRoutingAndForwarding(t *testing.T) {
	a := newUpstream(t, nil)
	b := newUpstream(t, nil)
	gw, _ := startGateway(t, `
upstreams:
  a: {targets: [%s]}
  b: {targets: [%s]}
routes:
  - {id: prefix, path_prefix: /api/, upstream: a, strip_prefix: true}
  - {id: longer, path_prefix: /api/v2/, upstream: b}
  - {id: exact, path: /api/exact, upstream: b}
  - {id: host, hosts: [api.example.test], path_prefix: /api/, upstream: b}
  - {id: ipv6, hosts: ["[::1]"], path_prefix: /v6/, upstream: b}
  - {id: posts, path_prefix: /m/, methods: [POST], upstream: b}
  - {id: gets, path_prefix: /m/, methods: [GET], upstream: a}
`, a.URL, b.URL)
	tests := []struct {
		name, method, path, host string
		want                     *upstream
		wantPath                 string
	}{
		{"prefix with strip_prefix", "GET", "/api/users/1", "", a, "/users/1"},
		{"longest prefix wins", "GET", "/api/v2/x", "", b, "/api/v2/x"},
		{"exact path beats prefix", "GET", "/api/exact", "", b, "/api/exact"},
		{"host-specific route beats host-less", "GET", "/api/users/1", "api.example.test", b, "/api/users/1"},
		{"IPv6 host with a port", "GET", "/v6/x", "[::1]:8080", b, "/v6/x"},
		{"method selects among same prefix (POST)", "POST", "/m/1", "", b, "/m/1"},
		{"method selects among same prefix (GET)", "GET", "/m/1", "", a, "/m/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.want.count("")
			h := map[string]string{"X-Forwarded-For": "203.0.113.7"}
			if tt.host != "" {
				h["Host"] = tt.host
			}
			resp := do(t, tt.method, gw.URL+tt.path, h)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tt.want.count("") != before+1 {
				t.Fatal("request did not reach the expected upstream")
			}
			r := tt.want.last()
			if r.URL.Path != tt.wantPath {
				t.Errorf("upstream path = %q, want %q", r.URL.Path, tt.wantPath)
			}
			if got := r.Header.Get("X-Forwarded-For"); got != "203.0.113.7, 127.0.0.1" {
				t.Errorf("X-Forwarded-For = %q", got)
			}
			if r.Header.Get("X-Forwarded-Proto") != "http" || r.Header.Get("X-Forwarded-Host") == "" {
				t.Errorf("X-Forwarded-Proto/Host = %q/%q", r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host"))
			}
		})
	}
}

func TestRoundRobin(t *testing.T) {
	a := newUpstream(t, nil)
	b := newUpstream(t, nil)
	gw, _ := startGateway(t, `
upstreams:
  ab: {targets: [%s, %s]}
routes:
  - {id: r, path_prefix: /, upstream: ab}
`, a.URL, b.URL)
	for range 10 {
		do(t, "GET", gw.URL+"/", nil)
	}
	if a.count("") != 5 || b.count("") != 5 {
		t.Errorf("targets got %d and %d requests, want 5 and 5", a.count(""), b.count(""))
	}
}

func TestStreamingAndWebSocket(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			brw.Flush()
			line, _ := brw.ReadString('\n')
			brw.WriteString("echo " + line)
			brw.Flush()
			return
		}
		// Stream two chunks with a pause: the second is sent only after
		// the client has seen the first.
		fmt.Fprint(w, "first\n")
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	})
	gw, _ := startGateway(t, `
policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: web}
`, up.URL)

	t.Run("streamed body arrives before the response ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", gw.URL+"/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "first\n" {
			t.Fatalf("read %q, %v", line, err)
		}
	})
	t.Run("websocket upgrade is tunnelled", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(gw.URL, "http://"), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: https://app.example.com\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 101 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		fmt.Fprint(conn, "ping\n")
		line, err := br.ReadString('\n')
		if err != nil || line != "echo ping\n" {
			t.Fatalf("read %q, %v", line, err)
		}
	})
}

func TestReloadUnderLoad(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	const policyA = `
policies:
  web: {allow_origins: [https://app.example.com], expose_headers: [X-A], max_age: 100}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: web}
`
	const policyB = `
policies:
  web: {allow_origins: [https://app.example.com], expose_headers: [X-B], allow_credentials: true, max_age: 200}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: web}
`
	cfgA, err := config.Parse("a.yaml", []byte(fmt.Sprintf(policyA, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	cfgB, err := config.Parse("b.yaml", []byte(fmt.Sprintf(policyB, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfgA, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()

	stop := make(chan struct{})
	var failures, total, mixed atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 15 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
				req.Header.Set("Origin", "https://app.example.com")
				if i%2 == 1 {
					req, _ = http.NewRequest("OPTIONS", srv.URL+"/x", nil)
					req.Header.Set("Origin", "https://app.example.com")
					req.Header.Set("Access-Control-Request-Method", "GET")
				}
				resp, err := client.Do(req)
				total.Add(1)
				if err != nil {
					failures.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					failures.Add(1)
					continue
				}
				if !consistent(resp.Header, req.Method) {
					mixed.Add(1)
				}
			}
		}()
	}
	for i := range 50 {
		cfg := cfgB
		if i%2 == 1 {
			cfg = cfgA
		}
		if err := g.Swap(cfg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests during 50 reloads", total.Load())
	if total.Load() < 100 {
		t.Errorf("only %d requests ran during the reloads", total.Load())
	}
	if failures.Load() != 0 {
		t.Errorf("%d failed requests", failures.Load())
	}
	if mixed.Load() != 0 {
		t.Errorf("%d responses mixed the headers of two policies", mixed.Load())
	}
}

// consistent reports whether the response carries exactly policy A's or
// policy B's headers.
func consistent(h http.Header, method string) bool {
	credentials := h.Get("Access-Control-Allow-Credentials")
	if method == "OPTIONS" {
		maxAge := h.Get("Access-Control-Max-Age")
		return (maxAge == "100" && credentials == "") || (maxAge == "200" && credentials == "true")
	}
	expose := h.Get("Access-Control-Expose-Headers")
	return (expose == "X-A" && credentials == "") || (expose == "X-B" && credentials == "true")
}

// metricValue returns the value of the counter name with the given label
// pairs, or 0 when it has no such series.
func metricValue(t *testing.T, g *gateway.Gateway, name string, labels ...string) float64 {
	t.Helper()
	families, err := g.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue series
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// oneRouteConfig sends every path to one upstream under a policy that
// allows one origin.
const oneRouteConfig = `
policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: web}
`

// TestRefusedOriginLabelsAreBounded sends more distinct refused origins
// than the metric keeps as labels: the rest are counted as "other", so a
// hostile client cannot grow the metrics without bound.
func TestRefusedOriginLabelsAreBounded(t *testing.T) {
	up := newUpstream(t, nil)
	gw, g := startGateway(t, oneRouteConfig, up.URL)
	for i := range 150 {
		do(t, "GET", gw.URL+"/", map[string]string{"Origin": fmt.Sprintf("https://evil%d.test", i)})
	}
	do(t, "GET", gw.URL+"/", map[string]string{"Origin": "https://EVIL.test/"})
	families, err := g.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, f := range families {
		if f.GetName() == "crossgate_cors_refused_origins_total" {
			series = len(f.GetMetric())
		}
	}
	if series != 102 {
		t.Errorf("%d refused-origin series, want 100 origins + other + malformed", series)
	}
	if got := metricValue(t, g, "crossgate_cors_refused_origins_total", "route", "r", "origin", "other"); got != 50 {
		t.Errorf(`origin="other" = %v, want 50`, got)
	}
	if got := metricValue(t, g, "crossgate_cors_refused_origins_total", "route", "r", "origin", "malformed"); got != 1 {
		t.Errorf(`origin="malformed" = %v, want 1`, got)
	}
}

// TestForwarding checks what reaches the upstream and what comes back, for
// the parts of an HTTP exchange a proxy can lose: the query, hop-by-hop
// headers both ways, trailers.
func TestForwarding(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		fmt.Fprintf(w, "query=%s", r.URL.RawQuery)
		w.Header().Set("X-Checksum", "abc")
	})
	gw, _ := startGateway(t, `
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u}
`, up.URL)
	req, _ := http.NewRequest("GET", gw.URL+"/x?a=1&b=two%20words", nil)
	req.Header.Set("Connection", "X-Secret")
	req.Header.Set("X-Secret", "not for the upstream")
	req.Header.Set("Proxy-Authorization", "Basic eDp5")
	req.Header.Set("X-Kept", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "query=a=1&b=two%20words" {
		t.Errorf("body = %q", body)
	}
	if got := resp.Trailer.Get("X-Checksum"); got != "abc" {
		t.Errorf("trailer X-Checksum = %q, want abc", got)
	}
	if resp.Header.Get("X-Private") != "" || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("hop-by-hop response headers reached the client: %v", resp.Header)
	}
	r := up.last()
	if r.Header.Get("X-Secret") != "" || r.Header.Get("Proxy-Authorization") != "" {
		t.Errorf("hop-by-hop request headers reached the upstream: %v", r.Header)
	}
	if r.Header.Get("X-Kept") != "yes" {
		t.Errorf("X-Kept lost: %v", r.Header)
	}
}

// TestMethodNotAllowedAllow checks that a 405 lists in Allow every method
// some route serves on the path, across routes that share it.
func TestMethodNotAllowedAllow(t *testing.T) {
	up := newUpstream(t, nil)
	gw, _ := startGateway(t, `
upstreams:
  u: {targets: [%s]}
routes:
  - {id: items, path_prefix: /items/, methods: [GET, POST], upstream: u, cors: "off"}
  - {id: one, path: /items/1, methods: [DELETE, GET], upstream: u, cors: "off"}
  - {id: elsewhere, hosts: [other.test], path_prefix: /items/, methods: [PATCH], upstream: u, cors: "off"}
`, up.URL)
	for path, want := range map[string]string{"/items/1": "DELETE, GET, HEAD, POST", "/items/2": "GET, HEAD, POST"} {
		resp := do(t, "PUT", gw.URL+path, nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != want {
			t.Errorf("PUT %s: %d, Allow %q; want 405, Allow %q", path, resp.StatusCode, resp.Header.Get("Allow"), want)
		}
	}
	// HEAD is served where GET is.
	if resp := do(t, "HEAD", gw.URL+"/items/2", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD on a GET route: %d, want 200", resp.StatusCode)
	}
}

// TestDecisionResults checks the result label of CORS decisions: a request
// without Origin is not refused, it is not a CORS request at all.
func TestDecisionResults(t *testing.T) {
	up := newUpstream(t, nil)
	gw, g := startGateway(t, oneRouteConfig, up.URL)
	do(t, "GET", gw.URL+"/", nil)
	do(t, "GET", gw.URL+"/", map[string]string{"Origin": "https://app.example.com"})
	do(t, "GET", gw.URL+"/", map[string]string{"Origin": "https://evil.test"})
	for _, want := range [][]string{
		{"kind", "none", "result", "none", "reason", "no-origin"},
		{"kind", "actual", "result", "allowed", "reason", "allowed"},
		{"kind", "actual", "result", "refused", "reason", "origin-not-allowed"},
	} {
		if got := metricValue(t, g, "crossgate_cors_decisions_total", want...); got != 1 {
			t.Errorf("crossgate_cors_decisions_total%v = %v, want 1", want, got)
		}
	}
	if got := metricValue(t, g, "crossgate_cors_decisions_total", "result", "refused", "kind", "none"); got != 0 {
		t.Errorf("a request without Origin was counted as refused")
	}
}

package gateway_test

import (
	"bytes"
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

// failoverConfig routes everything to upstream u; %s are its targets and
// then the rest of its settings.
const failoverConfig = `
upstreams:
  u: {targets: [%s], %s}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: "off"}
`

func startFailover(t *testing.T, targets, settings string) (*httptest.Server, *gateway.Gateway) {
	t.Helper()
	srv, g := startGateway(t, failoverConfig, targets, settings)
	t.Cleanup(g.Close)
	return srv, g
}

// failoverCfg is failoverConfig with targets and settings, parsed.
func failoverCfg(t *testing.T, targets, settings string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(failoverConfig, targets, settings)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// stateOf returns target's health in g.
func stateOf(t *testing.T, g *gateway.Gateway, target string) gateway.TargetState {
	t.Helper()
	for _, s := range g.Targets() {
		if s.Target == target {
			return s
		}
	}
	t.Fatalf("no state for %s in %+v", target, g.Targets())
	return gateway.TargetState{}
}

// echoBody answers with the method and the request body it read.
func echoBody(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s %s", r.Method, b)
}

// newHangup is a target that reads each request whole, then closes its
// connection without an answer: a request that reached the upstream and
// failed before any response byte.
func newHangup(t *testing.T) *upstream {
	return newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	})
}

// send makes one request through the gateway and returns its status and
// body; a transport error is status 0.
func send(client *http.Client, method, url string, body []byte, hdr map[string]string) (int, string) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err.Error()
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFailoverDeadTarget: with one target of two refusing connections, no
// request fails, whatever its method: a request that reached no target
// goes to the next one. With passive health the dead target is then left
// out; without it, every other request meets it and fails over.
func TestFailoverDeadTarget(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		// wantRetries bounds the requests that met the dead target.
		minRetries, maxRetries float64
	}{
		{"passive health leaves it out", "max_fails: 1, fail_timeout: 1m", 1, 8},
		{"passive health off: every other request fails over", "max_fails: 0", 400, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := newUpstream(t, echoBody)
			dead := "http://" + loopback.RefusedAddr(t)
			srv, g := startFailover(t, dead+", "+live.URL, tt.settings)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
			const total, workers = 1000, 4
			var failed atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < total; i += workers {
						m := methods[i%len(methods)]
						var body []byte
						if m != "GET" && m != "DELETE" {
							body = []byte(fmt.Sprintf("request %d", i))
						}
						status, got := send(client, m, srv.URL+"/x", body, nil)
						if want := m + " " + string(body); status != 200 || got != want {
							if failed.Add(1) <= 3 {
								t.Errorf("%s request %d: %d %q, want 200 %q", m, i, status, got, want)
							}
						}
					}
				}()
			}
			wg.Wait()
			retries := metricValue(t, g, "crossgate_upstream_retries_total", "upstream", "u", "reason", "not_sent")
			t.Logf("%d requests, %d failed, %v sent to the dead target first", total, failed.Load(), retries)
			if failed.Load() != 0 {
				t.Errorf("%d of %d requests failed", failed.Load(), total)
			}
			if got := live.count(""); got != total {
				t.Errorf("the live target got %d requests, want %d", got, total)
			}
			if retries < tt.minRetries || retries > tt.maxRetries {
				t.Errorf("%v requests failed over, want %v to %v", retries, tt.minRetries, tt.maxRetries)
			}
			wantUp := map[string]float64{dead: 0, live.URL: 1}
			if tt.settings == "max_fails: 0" {
				wantUp[dead] = 1 // nothing counts its failures
			}
			for target, want := range wantUp {
				if got := metricValue(t, g, "crossgate_upstream_target_up", "upstream", "u", "target", target); got != want {
					t.Errorf("crossgate_upstream_target_up{target=%q} = %v, want %v", target, got, want)
				}
			}
		})
	}
}

// TestFailoverRetryRules: a request that reached a target which closed its
// connection without an answer is sent to the next target only if it is
// idempotent, its body can be sent again, and retries allow it. Passive
// health is off so that the two targets alternate: half the requests meet
// the failing target first.
func TestFailoverRetryRules(t *testing.T) {
	small := bytes.Repeat([]byte("s"), 1000)
	large := bytes.Repeat([]byte("L"), 100<<10) // over what the gateway keeps to send again
	tests := []struct {
		name     string
		settings string
		method   string
		body     []byte
		hdr      map[string]string
		wantOK   int // of 10 requests; the others get 502
	}{
		{"GET is retried", "retries: 1", "GET", nil, nil, 10},
		{"HEAD is retried", "retries: 1", "HEAD", nil, nil, 10},
		{"DELETE is retried", "retries: 1", "DELETE", nil, nil, 10},
		{"PUT with a kept body is retried", "retries: 1", "PUT", small, nil, 10},
		{"PUT with a body too large to keep is not", "retries: 1", "PUT", large, nil, 5},
		{"POST is not retried", "retries: 1", "POST", small, nil, 5},
		{"POST without a body is not retried either", "retries: 1", "POST", nil, nil, 5},
		{"PATCH is not retried", "retries: 1", "PATCH", small, nil, 5},
		{"POST with an Idempotency-Key is retried", "retries: 1", "POST", small, map[string]string{"Idempotency-Key": "k1"}, 10},
		{"retries: 0 retries nothing", "retries: 0", "GET", nil, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hangup := newHangup(t)
			live := newUpstream(t, echoBody)
			srv, _ := startFailover(t, hangup.URL+", "+live.URL, tt.settings+", max_fails: 0")
			ok := 0
			for range 10 {
				status, got := send(http.DefaultClient, tt.method, srv.URL+"/x", tt.body, tt.hdr)
				switch {
				case status == 200:
					ok++
					if want := tt.method + " " + string(tt.body); tt.method != "HEAD" && got != want {
						t.Errorf("body %.40q, want %.40q", got, want)
					}
				case status != http.StatusBadGateway:
					t.Errorf("status %d, want 200 or 502", status)
				}
			}
			if ok != tt.wantOK {
				t.Errorf("%d of 10 requests answered, want %d", ok, tt.wantOK)
			}
			if got := hangup.count(""); got != 5 {
				t.Errorf("the failing target saw %d requests, want 5", got)
			}
			if got, want := live.count(""), 5+(tt.wantOK-5); got != want {
				t.Errorf("the live target saw %d requests, want %d", got, want)
			}
		})
	}
}

// TestFailoverWithinTimeout: retries share the upstream's timeout. A
// request whose first target hung up after 600 ms gets the 900 ms left on
// the next, which answers only after 10 s: 504 within the timeout, not
// after 10 s. A request that used the whole timeout on its first target is
// not retried. The margins are wide so that a loaded machine cannot move
// the hang-up past the timeout.
func TestFailoverWithinTimeout(t *testing.T) {
	slowHangup := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	})
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv, _ := startFailover(t, slowHangup.URL+", "+slow.URL, "timeout: 1500ms, max_fails: 0")
	// Round robin starts one request on each target.
	for i := range 2 {
		start := time.Now()
		status, _ := send(http.DefaultClient, "GET", srv.URL+"/x", nil, nil)
		took := time.Since(start)
		if status != http.StatusGatewayTimeout {
			t.Errorf("request %d: status %d, want 504", i, status)
		}
		if took > 5*time.Second {
			t.Errorf("request %d took %v: the retry was not bounded by the timeout", i, took)
		}
	}
	if n := slowHangup.count(""); n != 1 {
		t.Errorf("the first target saw %d requests, want 1: a request that timed out there was retried", n)
	}
	if n := slow.count(""); n != 2 {
		t.Errorf("the second target saw %d requests, want 2", n)
	}
}

// TestFailoverTargetKilledUnderLoad kills one of two targets, connections
// and all, while 8 clients send GETs and POSTs. The only requests that may
// fail are POSTs the dying target had been sent: GETs go to the other
// target, and so do POSTs that reached no target.
func TestFailoverTargetKilledUnderLoad(t *testing.T) {
	var seenA, seenB sync.Map // request ids each target read
	handler := func(seen *sync.Map) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			seen.Store(r.Header.Get("X-Id"), true)
			time.Sleep(time.Millisecond) // so that the kill finds requests in flight
			fmt.Fprint(w, "ok")
		}
	}
	a := httptest.NewServer(handler(&seenA))
	defer a.Close()
	b := httptest.NewServer(handler(&seenB))
	defer b.Close()
	srv, g := startFailover(t, a.URL+", "+b.URL, "retries: 1")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	const workers, perWorker = 8, 400
	var answered atomic.Int64
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for answered.Load() < workers*perWorker/3 {
			time.Sleep(time.Millisecond)
		}
		a.CloseClientConnections()
		a.Close()
	}()
	type failure struct {
		id, method string
		status     int
	}
	var mu sync.Mutex
	var failures []failure
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker && time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%d-%d", w, i)
				method := "GET"
				var body []byte
				if i%2 == 1 {
					method, body = "POST", []byte("order "+id)
				}
				status, _ := send(client, method, srv.URL+"/x", body, map[string]string{"X-Id": id})
				answered.Add(1)
				if status != 200 {
					mu.Lock()
					failures = append(failures, failure{id, method, status})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	<-killed
	var readByA, unreadByA int
	for _, f := range failures {
		if f.method != "POST" || f.status != http.StatusBadGateway {
			t.Errorf("request %s (%s) failed with %d: only POSTs sent to the killed target may fail, with 502", f.id, f.method, f.status)
			continue
		}
		if _, ok := seenB.Load(f.id); ok {
			t.Errorf("POST %s failed although the surviving target read it", f.id)
		}
		if _, ok := seenA.Load(f.id); ok {
			readByA++
		} else {
			unreadByA++ // written to a connection the kill closed before the target read it
		}
	}
	t.Logf("%d requests, target killed after %d: %d failed, all POSTs sent to it (%d it had read, %d written to its closing connections); no GET failed",
		answered.Load(), workers*perWorker/3, len(failures), readByA, unreadByA)
	t.Logf("retried: %v GETs the killed target did not answer, %v requests it could not take",
		metricValue(t, g, "crossgate_upstream_retries_total", "reason", "unanswered"),
		metricValue(t, g, "crossgate_upstream_retries_total", "reason", "not_sent"))
	if answered.Load() < workers*perWorker/2 {
		t.Errorf("only %d requests ran", answered.Load())
	}
}

// TestHealthCheckBringsTargetBack: a target that was killed and comes back
// gets traffic again within its health-check interval, although passive
// health alone would leave it out for a minute.
func TestHealthCheckBringsTargetBack(t *testing.T) {
	const interval = 300 * time.Millisecond
	var proxied atomic.Int64 // requests the revived target got, health checks aside
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			proxied.Add(1)
		}
		fmt.Fprint(w, "ok")
	})
	a := httptest.NewServer(handler)
	addrA := a.Listener.Addr().String()
	other := newUpstream(t, nil)
	srv, g := startFailover(t, a.URL+", "+other.URL,
		fmt.Sprintf("max_fails: 1, fail_timeout: 1m, health_check: {path: /healthz, interval: %v, timeout: 200ms}", interval))
	a.CloseClientConnections()
	a.Close()
	for i := 0; i < 200 && stateOf(t, g, a.URL).Up; i++ {
		// Requests meet the dead target, or the check finds it first.
		send(http.DefaultClient, "GET", srv.URL+"/x", nil, nil)
		time.Sleep(5 * time.Millisecond)
	}
	down := stateOf(t, g, a.URL)
	if down.Up {
		t.Fatal("the killed target is still up")
	}
	t.Logf("down: %s", down.Why)
	for range 20 {
		if status, _ := send(http.DefaultClient, "GET", srv.URL+"/x", nil, nil); status != 200 {
			t.Fatalf("status %d while one target is down", status)
		}
	}
	if !strings.HasPrefix(waitFor(t, 3*interval, func() string {
		if s := stateOf(t, g, a.URL); strings.HasPrefix(s.Why, "health check failing") {
			return s.Why
		}
		return ""
	}), "health check failing") {
		t.Fatal("the health check did not find the target down")
	}

	ln, err := listenAgain(addrA)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addrA, err)
	}
	back := &http.Server{Handler: handler}
	go back.Serve(ln)
	defer back.Close()
	revived := time.Now()
	var took time.Duration
	for time.Since(revived) < 2*interval+time.Second && proxied.Load() == 0 {
		send(http.DefaultClient, "GET", srv.URL+"/x", nil, nil)
		time.Sleep(5 * time.Millisecond)
	}
	took = time.Since(revived)
	t.Logf("the revived target got its first request %v after it came back (interval %v)", took.Round(time.Millisecond), interval)
	if proxied.Load() == 0 {
		t.Fatalf("the revived target got no request within %v", took)
	}
	if got := metricValue(t, g, "crossgate_upstream_target_up", "upstream", "u", "target", a.URL); got != 1 {
		t.Errorf("crossgate_upstream_target_up = %v, want 1", got)
	}
}

// listenAgain listens on addr, which a server just closed.
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// waitFor polls f until it returns something or within has passed.
func waitFor(t *testing.T, within time.Duration, f func() string) string {
	t.Helper()
	for end := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if s := f(); s != "" || time.Now().After(end) {
			return s
		}
	}
}

// TestHealthChecksFollowTheSnapshot: health checks run for the config being
// served only: reloads do not pile checks up, and Close stops them.
func TestHealthChecksFollowTheSnapshot(t *testing.T) {
	var probes atomic.Int64
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			probes.Add(1)
		}
	})
	cfg := failoverCfg(t, up.URL, "health_check: {path: /healthz, interval: 100ms}")
	g, err := gateway.New(cfg, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for range 30 {
		if err := g.Swap(cfg); err != nil {
			t.Fatal(err)
		}
	}
	// Each reload checks at once; from then on, one check per interval.
	before := probes.Load()
	time.Sleep(time.Second)
	during := probes.Load() - before
	t.Logf("%d checks of the live target in 1 s after 30 reloads (interval 100ms)", during)
	if during > 15 {
		t.Errorf("%d checks in 1 s at a 100ms interval: the checks of replaced configs still run", during)
	}
	if during < 5 {
		t.Errorf("%d checks in 1 s at a 100ms interval: the checks do not run", during)
	}

	g.Close()
	time.Sleep(50 * time.Millisecond)
	after := probes.Load()
	time.Sleep(300 * time.Millisecond)
	if n := probes.Load() - after; n != 0 {
		t.Errorf("%d checks after Close", n)
	}
}

// TestTargetHealthSurvivesReload: a reload that keeps a target's URL in its
// upstream keeps what passive health learnt of it; a target the reload
// lists anew starts up.
func TestTargetHealthSurvivesReload(t *testing.T) {
	live := newUpstream(t, nil)
	dead := "http://" + loopback.RefusedAddr(t)
	const settings = "max_fails: 1, fail_timeout: 1m"
	g, err := gateway.New(failoverCfg(t, dead+", "+live.URL, settings), gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	srv := httptest.NewServer(g)
	defer srv.Close()
	for range 2 {
		if status, _ := send(http.DefaultClient, "GET", srv.URL+"/x", nil, nil); status != 200 {
			t.Fatalf("status %d", status)
		}
	}
	steps := []struct {
		name    string
		targets string
		want    bool
	}{
		{"after a request met it", "", false},
		{"after a reload that keeps it", dead + ", " + live.URL, false},
		{"after a reload without it", live.URL, false},
		{"after a reload that lists it anew", dead + ", " + live.URL, true},
	}
	for _, st := range steps {
		if st.targets != "" {
			if err := g.Swap(failoverCfg(t, st.targets, settings)); err != nil {
				t.Fatal(err)
			}
			if st.targets == live.URL {
				continue
			}
		}
		if got := stateOf(t, g, dead).Up; got != st.want {
			t.Errorf("%s: up = %v, want %v", st.name, got, st.want)
		}
	}
}

// TestReloadWithoutHealthCheck: a target that the health check took out
// comes back when a reload drops the check, since nothing else would ever
// bring it back.
func TestReloadWithoutHealthCheck(t *testing.T) {
	live := newUpstream(t, nil)
	dead := "http://" + loopback.RefusedAddr(t)
	targets := dead + ", " + live.URL
	g, err := gateway.New(failoverCfg(t, targets, "max_fails: 0, health_check: {path: /healthz, interval: 100ms}"), gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if waitFor(t, 2*time.Second, func() string {
		if s := stateOf(t, g, dead); !s.Up {
			return s.Why
		}
		return ""
	}) == "" {
		t.Fatal("the health check did not take the dead target out")
	}
	if err := g.Swap(failoverCfg(t, targets, "max_fails: 0")); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, g, dead); !s.Up {
		t.Errorf("still out after a reload without health check: %s", s.Why)
	}
}

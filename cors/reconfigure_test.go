package cors_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// Two policies that answer every request of reconfigureRequests
// differently, in several headers at once, so that a response mixing them
// is visible.
var (
	policyA = cors.Config{
		AllowOrigins:     []string{"https://a.example.com", "https://both.example.com"},
		AllowMethods:     []string{"PUT"},
		AllowHeaders:     []string{"X-A"},
		ExposeHeaders:    []string{"X-Only-A"},
		AllowCredentials: true,
		MaxAge:           time.Hour,
	}
	policyB = cors.Config{
		AllowOrigins:      []string{"https://b.example.com", "https://both.example.com"},
		AllowMethods:      []string{"PUT", "PATCH"},
		AllowHeaders:      []string{"X-A", "X-B"},
		ExposeHeaders:     []string{"X-Only-B", "X-Other-B"},
		MaxAge:            2 * time.Hour,
		TimingAllowOrigin: true,
		PreflightStatus:   200,
	}
)

var reconfigureRequests = []func() *http.Request{
	func() *http.Request { return newRequest("GET", "Origin: https://both.example.com") },
	func() *http.Request { return newRequest("GET", "Origin: https://a.example.com") },
	func() *http.Request { return newRequest("POST", "Origin: https://b.example.com") },
	func() *http.Request {
		return newRequest("OPTIONS", "Origin: https://both.example.com", "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x-a")
	},
	func() *http.Request {
		return newRequest("OPTIONS", "Origin: https://both.example.com", "Access-Control-Request-Method: PATCH")
	},
}

// answer is what a client sees of a response: its status and CORS headers.
type answer struct {
	status int
	header http.Header
}

func answerOf(h http.Handler, r *http.Request) answer {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return answer{w.Code, corsHeaders(w.Header())}
}

func TestReconfigureIsAtomic(t *testing.T) {
	const (
		workers         = 8
		requestsEach    = 2000
		reconfigures    = 200
		requestsBetween = workers * requestsEach / (reconfigures + 1)
	)
	// What each policy answers, from policies that are never reconfigured.
	wantA := make([]answer, len(reconfigureRequests))
	wantB := make([]answer, len(reconfigureRequests))
	for i, req := range reconfigureRequests {
		wantA[i] = answerOf(mustNew(t, policyA).Handler(nextHandler), req())
		wantB[i] = answerOf(mustNew(t, policyB).Handler(nextHandler), req())
		if reflect.DeepEqual(wantA[i], wantB[i]) {
			t.Fatalf("request %d: policies A and B answer alike; the test could not see a mix", i)
		}
	}

	p := mustNew(t, policyA)
	h := p.Handler(nextHandler)
	var (
		done     atomic.Int64 // requests answered
		sawA     atomic.Int64
		sawB     atomic.Int64
		mixed    atomic.Int64
		firstMix sync.Once
		wg       sync.WaitGroup
	)
	finished := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			requests := make([]*http.Request, len(reconfigureRequests))
			for i, req := range reconfigureRequests {
				requests[i] = req()
			}
			for n := range requestsEach {
				i := (n + w) % len(requests)
				got := answerOf(h, requests[i])
				switch {
				case reflect.DeepEqual(got, wantA[i]):
					sawA.Add(1)
				case reflect.DeepEqual(got, wantB[i]):
					sawB.Add(1)
				default:
					mixed.Add(1)
					firstMix.Do(func() {
						t.Errorf("request %d: got %v, which is neither A's %v nor B's %v", i, got, wantA[i], wantB[i])
					})
				}
				done.Add(1)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(finished)
	}()

	// Swap between the policies while the workers run, pacing the swaps by
	// their progress so that both policies serve requests whatever the
	// scheduler does.
	swaps := 0
swapping:
	for i := 1; i <= reconfigures; i++ {
		for done.Load() < int64(i*requestsBetween) {
			select {
			case <-finished:
				// The last requests may have been answered between the
				// check above and this select: the count is final now.
				if done.Load() < int64(i*requestsBetween) {
					break swapping
				}
			default:
				runtime.Gosched()
			}
		}
		cfg := policyA
		if i%2 == 1 {
			cfg = policyB
		}
		if err := p.Reconfigure(cfg); err != nil {
			t.Fatalf("Reconfigure: %v", err)
		}
		swaps++
	}
	<-finished

	if n := mixed.Load(); n > 0 {
		t.Errorf("%d of %d responses mixed the two policies", n, workers*requestsEach)
	}
	if got := sawA.Load() + sawB.Load() + mixed.Load(); got != workers*requestsEach {
		t.Errorf("%d responses checked, want %d", got, workers*requestsEach)
	}
	if sawA.Load() == 0 || sawB.Load() == 0 {
		t.Errorf("policy A answered %d requests and B %d: both should have served", sawA.Load(), sawB.Load())
	}
	if swaps != reconfigures {
		t.Errorf("%d reconfigurations, want %d", swaps, reconfigures)
	}
}

func TestReconfigure(t *testing.T) {
	t.Run("valid config takes effect", func(t *testing.T) {
		p := mustNew(t, policyA)
		if err := p.Reconfigure(policyB); err != nil {
			t.Fatalf("Reconfigure: %v", err)
		}
		for i, req := range reconfigureRequests {
			want := answerOf(mustNew(t, policyB).Handler(nextHandler), req())
			if got := answerOf(p.Handler(nextHandler), req()); !reflect.DeepEqual(got, want) {
				t.Errorf("request %d: got %v, want policy B's %v", i, got, want)
			}
		}
		if got := p.Config(); !reflect.DeepEqual(got, policyB) {
			t.Errorf("Config() = %+v, want %+v", got, policyB)
		}
	})

	t.Run("invalid config changes nothing", func(t *testing.T) {
		p := mustNew(t, policyA)
		h := p.Handler(nextHandler)
		invalid := policyB
		invalid.AllowOrigins = []string{"*", "https://b.example.com"}
		invalid.AllowMethods = []string{"TRACE"}
		invalid.MaxAge = 25 * time.Hour
		err := p.Reconfigure(invalid)
		if err == nil {
			t.Fatal("Reconfigure accepted an invalid config")
		}
		var got []string
		for _, e := range cors.ConfigErrors(err) {
			got = append(got, problem(e))
		}
		want := []string{"AllowOrigins[0] *", "AllowMethods[0] TRACE", "MaxAge[-1] 25h0m0s"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("errors = %q, want %q", got, want)
		}
		if cfg := p.Config(); !reflect.DeepEqual(cfg, policyA) {
			t.Errorf("Config() = %+v, want policy A unchanged", cfg)
		}
		for i, req := range reconfigureRequests {
			want := answerOf(mustNew(t, policyA).Handler(nextHandler), req())
			if got := answerOf(h, req()); !reflect.DeepEqual(got, want) {
				t.Errorf("request %d: got %v, want policy A's %v", i, got, want)
			}
		}
	})
}

func TestConfigIsACopy(t *testing.T) {
	evil := func() *http.Request { return newRequest("GET", "Origin: https://evil.com") }
	refused := answer{handlerStatus, http.Header{"Vary": {"Origin"}}}

	t.Run("mutating Config() changes nothing", func(t *testing.T) {
		p := mustNew(t, policyA)
		c := p.Config()
		c.AllowOrigins[0] = "https://evil.com"
		c.AllowMethods[0] = "PATCH"
		c.AllowHeaders[0] = "X-Evil"
		c.ExposeHeaders[0] = "Set-Cookie"
		if got := p.Config(); !reflect.DeepEqual(got, policyA) {
			t.Errorf("Config() after mutating a copy = %+v, want %+v", got, policyA)
		}
		if got := answerOf(p.Handler(nextHandler), evil()); !reflect.DeepEqual(got, refused) {
			t.Errorf("evil origin after mutating a copy: %v, want %v", got, refused)
		}
	})

	t.Run("mutating the Config given to New changes nothing", func(t *testing.T) {
		cfg := policyA
		cfg.AllowOrigins = append([]string(nil), policyA.AllowOrigins...)
		cfg.ExposeHeaders = append([]string(nil), policyA.ExposeHeaders...)
		p := mustNew(t, cfg)
		cfg.AllowOrigins[0] = "https://evil.com"
		cfg.ExposeHeaders[0] = "Set-Cookie"
		if got := p.Config(); !reflect.DeepEqual(got, policyA) {
			t.Errorf("Config() after mutating New's argument = %+v, want %+v", got, policyA)
		}
		if got := answerOf(p.Handler(nextHandler), evil()); !reflect.DeepEqual(got, refused) {
			t.Errorf("evil origin after mutating New's argument: %v, want %v", got, refused)
		}
	})

	t.Run("mutating the Config given to Reconfigure changes nothing", func(t *testing.T) {
		p := mustNew(t, policyA)
		cfg := policyB
		cfg.AllowOrigins = append([]string(nil), policyB.AllowOrigins...)
		if err := p.Reconfigure(cfg); err != nil {
			t.Fatal(err)
		}
		cfg.AllowOrigins[0] = "https://evil.com"
		if got := p.Config(); !reflect.DeepEqual(got, policyB) {
			t.Errorf("Config() after mutating Reconfigure's argument = %+v, want %+v", got, policyB)
		}
		if got := answerOf(p.Handler(nextHandler), evil()); !reflect.DeepEqual(got, refused) {
			t.Errorf("evil origin after mutating Reconfigure's argument: %v, want %v", got, refused)
		}
	})
}

package cors_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// mutate changes every value of h in place and appends to every list, the
// way a careless handler or middleware might. If the policy shared a value
// slice, or its spare capacity, between responses, another request would
// see the change.
func mutate(h http.Header) {
	if v := h["Vary"]; len(v) > 0 {
		v[0] = "x"
	}
	if v := h["Access-Control-Allow-Origin"]; len(v) > 0 {
		v[0] = "evil"
	}
	if v := h["Access-Control-Expose-Headers"]; len(v) > 0 {
		v[0] = "Set-Cookie"
	}
	for name, values := range h {
		for i := range values {
			values[i] += "-mutated"
		}
		h[name] = append(values, "appended")
	}
}

// mutationConfig writes every header a policy can write.
var mutationConfig = cors.Config{
	AllowOrigins:        []string{"https://app.example.com"},
	AllowMethods:        []string{"PUT"},
	AllowHeaders:        []string{"X-Foo", "Content-Type"},
	ExposeHeaders:       []string{"X-Request-Id", "ETag"},
	AllowCredentials:    true,
	MaxAge:              time.Hour,
	AllowPrivateNetwork: true,
	TimingAllowOrigin:   true,
}

var mutationRequests = []struct {
	name      string
	cfg       cors.Config
	preflight bool
	req       func() *http.Request
}{
	{"actual/allowed", mutationConfig, false, func() *http.Request {
		return newRequest("GET", "Origin: https://app.example.com")
	}},
	{"actual/refused", mutationConfig, false, func() *http.Request {
		return newRequest("GET", "Origin: https://evil.com")
	}},
	{"actual/no origin", mutationConfig, false, func() *http.Request {
		return newRequest("GET")
	}},
	{"actual/static *", cors.Config{AllowOrigins: []string{"*"}, ExposeHeaders: []string{"X-Request-Id"}}, false, func() *http.Request {
		return newRequest("GET", "Origin: https://app.example.com")
	}},
	{"preflight/allowed", mutationConfig, true, func() *http.Request {
		return newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT",
			"Access-Control-Request-Headers: x-foo", "Access-Control-Request-Headers: content-type",
			"Access-Control-Request-Private-Network: true")
	}},
	{"preflight/refused", mutationConfig, true, func() *http.Request {
		return newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PATCH")
	}},
}

func TestMutatedHeadersDoNotLeak(t *testing.T) {
	for _, tc := range mutationRequests {
		// The answer of a policy that nobody has mutated.
		want := corsHeaders(serve(mustNew(t, tc.cfg), tc.req()).Header())
		if len(want) == 0 {
			t.Fatalf("%s: the policy writes no header; the case tests nothing", tc.name)
		}

		variants := []struct {
			name string
			wrap func(p *cors.Policy, seen *[]http.Header) http.Handler
		}{
			{"outer middleware mutates", func(p *cors.Policy, seen *[]http.Header) http.Handler {
				inner := p.Handler(nextHandler)
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					inner.ServeHTTP(w, r)
					*seen = append(*seen, corsHeaders(w.Header()).Clone())
					mutate(w.Header())
				})
			}},
		}
		if !tc.preflight {
			variants = append(variants, struct {
				name string
				wrap func(p *cors.Policy, seen *[]http.Header) http.Handler
			}{"handler mutates", func(p *cors.Policy, seen *[]http.Header) http.Handler {
				return p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					*seen = append(*seen, corsHeaders(w.Header()).Clone())
					mutate(w.Header())
					w.WriteHeader(handlerStatus)
				}))
			}})
		}
		for _, v := range variants {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				var seen []http.Header
				h := v.wrap(mustNew(t, tc.cfg), &seen)
				for range 3 {
					h.ServeHTTP(httptest.NewRecorder(), tc.req())
				}
				if len(seen) != 3 {
					t.Fatalf("the mutating code ran %d times, want 3", len(seen))
				}
				for i, got := range seen {
					if !reflect.DeepEqual(got, want) {
						t.Errorf("request %d got %v, want %v", i+1, got, want)
					}
				}
			})
		}

		// A handler may keep its header map and change it after the next
		// request has been answered (a streaming handler, a goroutine).
		t.Run(tc.name+"/late mutation", func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			r1 := tc.req()
			first := serve(p, r1)
			second := serve(p, tc.req())
			mutate(first.Header())
			for name, lines := range r1.Header {
				for i := range lines {
					lines[i] = "x-mutated"
				}
				r1.Header[name] = append(lines, "appended")
			}
			if got := corsHeaders(second.Header()); !reflect.DeepEqual(got, want) {
				t.Errorf("after mutating the first response, the second has %v, want %v", got, want)
			}
			if got := corsHeaders(serve(p, tc.req()).Header()); !reflect.DeepEqual(got, want) {
				t.Errorf("after mutating the first response, the next has %v, want %v", got, want)
			}
		})

		t.Run(tc.name+"/decision headers", func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			d := p.Decide(tc.req())
			first := d.Header()
			second := d.Header()
			mutate(first)
			if !reflect.DeepEqual(second, want) {
				t.Errorf("after mutating one Header() of a decision, another is %v, want %v", second, want)
			}
			applied := http.Header{}
			d.Apply(applied)
			if !reflect.DeepEqual(applied, want) {
				t.Errorf("after mutating one Header() of a decision, Apply writes %v, want %v", applied, want)
			}
		})
	}
}

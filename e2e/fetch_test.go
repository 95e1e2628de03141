package e2e_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

// origins starts a page origin on app.example.test, which also serves
// /same-origin, and an API origin on api.example.test whose paths
// show the CORS outcomes a test needs.
func origins(t testing.TB) (page *e2e.Server, api *e2e.Server, rec *e2e.Recorder) {
	t.Helper()
	pageMux := http.NewServeMux()
	pageMux.HandleFunc("/", e2e.ServePage)
	pageMux.HandleFunc("/same-origin", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "same")
	})
	page = e2e.NewServer("app.example.test", pageMux)
	t.Cleanup(page.Close)

	apiMux := http.NewServeMux()
	apiMux.HandleFunc("/no-cors", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret")
	})
	apiMux.HandleFunc("/cors", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", page.Origin)
		w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		w.Header().Set("X-Request-Id", "42")
		w.Header().Set("X-Internal", "hidden")
		io.WriteString(w, "shared")
	})
	apiMux.HandleFunc("/refuse-preflight", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", page.Origin)
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.WriteString(w, "updated")
	})
	apiMux.HandleFunc("/preflight/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", page.Origin)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "X-Ok")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, "updated")
	})
	rec = e2e.NewRecorder(apiMux)
	api = e2e.NewServer("api.example.test", rec)
	t.Cleanup(api.Close)
	return page, api, rec
}

func TestFetch(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	page, api, rec := origins(t)

	tests := []struct {
		name string
		req  e2e.FetchRequest
		// relative URLs go to the page origin, others to the API origin.
		sameOrigin bool

		wantError     string
		wantStatus    int
		wantBody      string
		wantType      string
		wantHeader    map[string]string
		wantCorsError string
		wantParameter string
		wantConsole   string
		wantPreflight bool
		// wantServed counts the requests with these methods that reached
		// the API server.
		wantServed map[string]int
	}{
		{
			name:       "same-origin fetch",
			req:        e2e.FetchRequest{URL: "/same-origin"},
			sameOrigin: true,
			wantStatus: 200,
			wantBody:   "same",
			wantType:   "basic",
		},
		{
			name:          "cross-origin without CORS headers",
			req:           e2e.FetchRequest{URL: "/no-cors"},
			wantError:     "TypeError: Failed to fetch",
			wantCorsError: "MissingAllowOriginHeader",
			wantConsole:   "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
			wantServed:    map[string]int{"GET": 1},
		},
		{
			name:       "cross-origin with matching Access-Control-Allow-Origin",
			req:        e2e.FetchRequest{URL: "/cors"},
			wantStatus: 200,
			wantBody:   "shared",
			wantType:   "cors",
			wantHeader: map[string]string{"X-Request-Id": "42", "X-Internal": "", "Content-Type": "text/plain; charset=utf-8"},
			wantServed: map[string]int{"GET": 1},
		},
		{
			name:          "preflighted PUT refused with 403",
			req:           e2e.FetchRequest{URL: "/refuse-preflight", Method: "PUT", Body: "{}"},
			wantError:     "TypeError: Failed to fetch",
			wantCorsError: "PreflightInvalidStatus",
			wantConsole:   "Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
			wantPreflight: true,
			wantServed:    map[string]int{"OPTIONS": 1, "PUT": 0},
		},
		{
			name:          "preflighted PUT allowed",
			req:           e2e.FetchRequest{URL: "/preflight/allowed", Method: "PUT", Header: http.Header{"X-Ok": {"1"}}},
			wantStatus:    200,
			wantBody:      "updated",
			wantType:      "cors",
			wantPreflight: true,
			wantServed:    map[string]int{"OPTIONS": 1, "PUT": 1},
		},
		{
			name:          "preflighted PUT with a header the preflight does not allow",
			req:           e2e.FetchRequest{URL: "/preflight/bad-header", Method: "PUT", Header: http.Header{"X-Bad": {"1"}}},
			wantError:     "TypeError: Failed to fetch",
			wantCorsError: "HeaderDisallowedByPreflightResponse",
			wantParameter: "x-bad",
			wantConsole:   "Request header field x-bad is not allowed by Access-Control-Allow-Headers in preflight response.",
			wantPreflight: true,
			wantServed:    map[string]int{"OPTIONS": 1, "PUT": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.Reset()
			req := tt.req
			if !tt.sameOrigin {
				req.URL = api.URL + req.URL
			}
			res, err := b.Fetch(context.Background(), page.URL+"/", req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Error != tt.wantError {
				t.Errorf("Error = %q, want %q", res.Error, tt.wantError)
			}
			if res.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d", res.Status, tt.wantStatus)
			}
			if res.Body != tt.wantBody {
				t.Errorf("Body = %q, want %q", res.Body, tt.wantBody)
			}
			if res.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", res.Type, tt.wantType)
			}
			for name, want := range tt.wantHeader {
				if got := res.Header.Get(name); got != want {
					t.Errorf("readable header %s = %q, want %q", name, got, want)
				}
			}
			if res.CorsError != tt.wantCorsError {
				t.Errorf("CorsError = %q, want %q", res.CorsError, tt.wantCorsError)
			}
			if res.CorsErrorParameter != tt.wantParameter {
				t.Errorf("CorsErrorParameter = %q, want %q", res.CorsErrorParameter, tt.wantParameter)
			}
			msg, blocked := res.Blocked()
			switch {
			case tt.wantConsole == "" && blocked:
				t.Errorf("unexpected console message %q", msg.Text)
			case tt.wantConsole != "" && !strings.Contains(msg.Text, tt.wantConsole):
				t.Errorf("console message = %q, want it to contain %q (console: %+v)", msg.Text, tt.wantConsole, res.Console)
			}
			if res.Preflighted != tt.wantPreflight {
				t.Errorf("Preflighted = %v, want %v", res.Preflighted, tt.wantPreflight)
			}
			for method, want := range tt.wantServed {
				if got := rec.Count(method, tt.req.URL); got != want {
					t.Errorf("server saw %d %s %s, want %d", got, method, tt.req.URL, want)
				}
			}
			for _, r := range rec.Requests() {
				if got := r.Header.Get("Origin"); got != page.Origin {
					t.Errorf("%s %s carried Origin %q, want the page origin %q", r.Method, r.Path, got, page.Origin)
				}
			}
		})
	}
}

// TestLatePreflightStaysWithItsFetch runs a preflighted PUT and, at once, a
// simple GET in the same tab, several times: DevTools may report the PUT's
// preflight after the PUT has settled, and it must not be counted against
// the GET.
func TestLatePreflightStaysWithItsFetch(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	page, api, _ := origins(t)
	ctx := context.Background()
	for i := range 5 {
		put, err := b.Fetch(ctx, page.URL+"/", e2e.FetchRequest{
			URL: api.URL + "/preflight/" + string(rune('a'+i)), Method: "PUT", Header: http.Header{"X-Ok": {"1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		get, err := b.Fetch(ctx, page.URL+"/", e2e.FetchRequest{URL: api.URL + "/cors"})
		if err != nil {
			t.Fatal(err)
		}
		if !put.OK {
			t.Fatalf("PUT %d: %+v", i, put)
		}
		if get.Preflighted {
			t.Errorf("round %d: the simple GET is reported as preflighted: %+v", i, get.Trace.Requests)
		}
	}
}

// TestFetchFromSandboxedFrame runs fetches from a sandboxed frame, whose
// opaque origin sends Origin: null: refused by an API that allows the page's
// origin, read from one that allows null.
func TestFetchFromSandboxedFrame(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	page, api, rec := origins(t)
	allowsNull := e2e.NewServer("api2.example.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "null")
		io.WriteString(w, "for null")
	}))
	t.Cleanup(allowsNull.Close)
	ctx := context.Background()

	refused, err := b.Fetch(ctx, page.URL+"/", e2e.FetchRequest{URL: api.URL + "/cors", Sandboxed: true})
	if err != nil {
		t.Fatal(err)
	}
	if refused.Error != "TypeError: Failed to fetch" {
		t.Errorf("fetch allowed by the page's origin: Error = %q, want a failed fetch", refused.Error)
	}
	if rs := rec.Requests(); len(rs) != 1 || rs[0].Header.Get("Origin") != "null" {
		t.Errorf("the API saw %+v, want one request with Origin: null", rs)
	}

	allowed, err := b.Fetch(ctx, page.URL+"/", e2e.FetchRequest{URL: allowsNull.URL + "/", Sandboxed: true})
	if err != nil {
		t.Fatal(err)
	}
	if allowed.Error != "" || allowed.Status != 200 || allowed.Body != "for null" || allowed.Type != "cors" {
		t.Errorf("fetch allowed by null: %+v, want status 200, type cors, body %q", allowed, "for null")
	}
}

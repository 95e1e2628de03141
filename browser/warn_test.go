package browser_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

// TestWarn checks allowed requests against servers that let the page in for
// the wrong reasons, and against servers that do it right.
func TestWarn(t *testing.T) {
	const app = "https://app.example.test"
	reflect := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	}
	allowApp := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == app {
			w.Header().Set("Access-Control-Allow-Origin", app)
		}
	}
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		credentials bool // the server sends Access-Control-Allow-Credentials: true
		vary        bool // the server sends Vary: Origin
		untrusted   bool
		want        []string // a phrase of each warning, in order
	}{
		{"reflects any origin with credentials and no Vary", reflect, true, false, false,
			[]string{"allows any origin", "allows credentials (Access-Control-Allow-Credentials: true) together with a reflected origin", "no Vary: Origin"}},
		{"reflects any origin", reflect, false, true, false, []string{"allows any origin"}},
		{"an allow list with Vary", allowApp, true, true, false, nil},
		{"an allow list without Vary", allowApp, false, false, false, []string{"depends on the origin"}},
		{"an allow list, asked from an untrusted origin", allowApp, false, true, true, []string{"an origin you marked as untrusted"}},
		{"a static *", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Access-Control-Allow-Origin", "*") }, false, false, false, nil},
		{"always the same origin", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Access-Control-Allow-Origin", app) }, false, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.vary {
					w.Header().Add("Vary", "Origin")
				}
				if tt.credentials {
					w.Header().Set("Access-Control-Allow-Credentials", "true")
				}
				tt.handler(w, r)
			}))
			defer srv.Close()
			res := allowedWithWarnings(t, srv.URL+"/x", app, "GET", tt.credentials, tt.untrusted)
			if len(res.Warnings) != len(tt.want) {
				t.Fatalf("%d warnings, want %d: %q", len(res.Warnings), len(tt.want), res.Warnings)
			}
			for i, w := range tt.want {
				if !strings.Contains(res.Warnings[i], w) {
					t.Errorf("warning %d %q, want one about %q", i, res.Warnings[i], w)
				}
			}

		})
	}
}

// TestWarnAsksWithAPreflight: after an allowed PUT, the second origin is
// tried with a preflight, so that the PUT is not sent twice.
func TestWarnAsksWithAPreflight(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Origin"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Vary", "Origin")
	}))
	defer srv.Close()
	res := allowedWithWarnings(t, srv.URL+"/x", "https://app.example.test", "PUT", false, false)
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "allows any origin") {
		t.Errorf("warnings %q, want one about reflection", res.Warnings)
	}
	mu.Lock()
	defer mu.Unlock()
	puts := slices.DeleteFunc(slices.Clone(seen), func(s string) bool { return !strings.HasPrefix(s, "PUT ") })
	if len(seen) != 3 || len(puts) != 1 {
		t.Errorf("server saw %q, want a preflight and the PUT, then one preflight from another origin", seen)
	}
}

// allowedWithWarnings runs a request that the server must allow, then
// Warn, which must change neither the verdict nor the exchanges.
func allowedWithWarnings(t *testing.T, url, origin, method string, credentials, untrusted bool) *browser.Result {
	t.Helper()
	req, err := browser.NewRequest(url, origin, method, nil, credentials)
	if err != nil {
		t.Fatal(err)
	}
	c := &browser.Client{}
	res, err := c.Do(context.Background(), req)
	if err != nil || !res.Allowed {
		t.Fatalf("Do: %v, allowed %v", err, res.Allowed)
	}
	exchanges := len(res.Exchanges)
	if err := c.Warn(context.Background(), res, untrusted); err != nil {
		t.Fatal(err)
	}
	if !res.Allowed || len(res.Exchanges) != exchanges {
		t.Error("Warn changed the verdict or the exchanges")
	}
	return res
}

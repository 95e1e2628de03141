package csrf_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/csrf"
)

// newRequest builds a server-side request for target, over TLS when target
// is https (httptest sets r.TLS), with the URL reduced to its path as a
// server sees it.
func newRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.URL.Scheme = ""
	r.URL.Host = ""
	return r
}

var trustedOrigins = map[string]bool{
	"https://app.example.test": true,
	"https://trusted.example":  true,
}

func trusted(o string) bool { return trustedOrigins[o] }

func TestFetchMetadata(t *testing.T) {
	const api = "https://api.example.test/v1/items"
	tests := []struct {
		name   string
		method string
		target string
		host   string // overrides the target's host in the Host header
		site   string
		origin []string
		// xfp is X-Forwarded-Proto, read only when trustProto is set.
		xfp        string
		trustProto bool
		want       csrf.Reason
	}{
		// Safe methods always pass.
		{name: "GET cross-site", method: "GET", target: api, site: "cross-site", origin: []string{"https://evil.test"}},
		{name: "HEAD cross-site", method: "HEAD", target: api, site: "cross-site"},
		{name: "OPTIONS cross-site", method: "OPTIONS", target: api, site: "cross-site"},
		{name: "lower-case post is not GET", method: "post", target: api, site: "cross-site", want: csrf.ReasonCrossSite},

		// Sec-Fetch-Site decides when present.
		{name: "same-origin", method: "POST", target: api, site: "same-origin"},
		{name: "none (typed URL)", method: "POST", target: api, site: "none"},
		{name: "same-origin despite foreign Origin", method: "POST", target: api, site: "same-origin", origin: []string{"https://evil.test"}},
		{name: "cross-site without Origin", method: "POST", target: api, site: "cross-site", want: csrf.ReasonCrossSite},
		{name: "cross-site untrusted", method: "PUT", target: api, site: "cross-site", origin: []string{"https://evil.test"}, want: csrf.ReasonCrossSite},
		{name: "cross-site trusted", method: "DELETE", target: api, site: "cross-site", origin: []string{"https://app.example.test"}},
		{name: "cross-site null origin", method: "POST", target: api, site: "cross-site", origin: []string{"null"}, want: csrf.ReasonCrossSite},
		{name: "cross-site trusted with userinfo", method: "POST", target: api, site: "cross-site", origin: []string{"https://evil.test@app.example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "cross-site trusted sent twice", method: "POST", target: api, site: "cross-site", origin: []string{"https://app.example.test", "https://app.example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "cross-site trusted with trailing slash", method: "POST", target: api, site: "cross-site", origin: []string{"https://app.example.test/"}, want: csrf.ReasonOriginMalformed},
		{name: "same-site untrusted", method: "PATCH", target: api, site: "same-site", origin: []string{"https://blog.example.test"}, want: csrf.ReasonSameSiteUntrusted},
		{name: "same-site without Origin", method: "POST", target: api, site: "same-site", want: csrf.ReasonSameSiteUntrusted},
		{name: "same-site trusted", method: "POST", target: api, site: "same-site", origin: []string{"https://app.example.test"}},
		{name: "unknown Sec-Fetch-Site value", method: "POST", target: api, site: "same-origin, cross-site", origin: []string{"https://evil.test"}, want: csrf.ReasonCrossSite},
		{name: "upper-case Sec-Fetch-Site", method: "POST", target: api, site: "Same-Origin", want: csrf.ReasonCrossSite},

		// Without Sec-Fetch-Site, the Origin against the request's own.
		{name: "no metadata, no Origin (curl)", method: "POST", target: api},
		{name: "no metadata, same origin", method: "POST", target: api, origin: []string{"https://api.example.test"}},
		{name: "no metadata, same origin, http", method: "POST", target: "http://api.example.test/", origin: []string{"http://api.example.test"}},
		{name: "no metadata, same origin with port", method: "POST", target: "https://api.example.test:8443/", origin: []string{"https://api.example.test:8443"}},
		{name: "no metadata, Host with default port", method: "POST", target: api, host: "api.example.test:443", origin: []string{"https://api.example.test"}},
		{name: "no metadata, Host in upper case", method: "POST", target: api, host: "API.Example.TEST", origin: []string{"https://api.example.test"}},
		{name: "no metadata, IPv6 same origin", method: "POST", target: "http://[::1]:8080/", origin: []string{"http://[::1]:8080"}},
		{name: "no metadata, http page to https API", method: "POST", target: api, origin: []string{"http://api.example.test"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, https page to http API", method: "POST", target: "http://api.example.test/", origin: []string{"https://api.example.test"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, other port", method: "POST", target: "https://api.example.test:8443/", origin: []string{"https://api.example.test:9443"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, other host", method: "POST", target: api, origin: []string{"https://evil.test"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, host suffix", method: "POST", target: api, origin: []string{"https://evilapi.example.test"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, trusted origin", method: "POST", target: api, origin: []string{"https://app.example.test"}},
		{name: "no metadata, null", method: "POST", target: api, origin: []string{"null"}, want: csrf.ReasonOriginMismatch},
		{name: "no metadata, empty Host", method: "POST", target: api, host: "-", origin: []string{"https://api.example.test"}, want: csrf.ReasonOriginMismatch},

		// golang/go#78563: userinfo must not make a foreign origin look like ours.
		{name: "userinfo bypass, http", method: "POST", target: "http://api.example.test/", origin: []string{"http://evil.test@api.example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "userinfo bypass, https", method: "POST", target: api, origin: []string{"https://evil.test@api.example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "userinfo with password", method: "POST", target: api, origin: []string{"https://a:b@api.example.test"}, want: csrf.ReasonOriginMalformed},

		// Strict parsing of the Origin.
		{name: "Origin with path", method: "POST", target: api, origin: []string{"https://api.example.test/x"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with query", method: "POST", target: api, origin: []string{"https://api.example.test?x"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with fragment", method: "POST", target: api, origin: []string{"https://api.example.test#x"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with backslash", method: "POST", target: api, origin: []string{`https://evil.test\api.example.test`}, want: csrf.ReasonOriginMalformed},
		{name: "Origin in upper case", method: "POST", target: api, origin: []string{"HTTPS://API.EXAMPLE.TEST"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with default port", method: "POST", target: api, origin: []string{"https://api.example.test:443"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with port 0", method: "POST", target: api, origin: []string{"https://api.example.test:0"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with port 65536", method: "POST", target: api, origin: []string{"https://api.example.test:65536"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with empty port", method: "POST", target: api, origin: []string{"https://api.example.test:"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin without scheme", method: "POST", target: api, origin: []string{"api.example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin without host", method: "POST", target: api, origin: []string{"https://"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with empty label", method: "POST", target: api, origin: []string{"https://api..example.test"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin with space", method: "POST", target: api, origin: []string{"https://api.example.test "}, want: csrf.ReasonOriginMalformed},
		{name: "Origin too long", method: "POST", target: api, origin: []string{"https://" + strings.Repeat("a.", 200) + "test"}, want: csrf.ReasonOriginMalformed},
		{name: "Origin sent twice", method: "POST", target: api, origin: []string{"https://api.example.test", "https://api.example.test"}, want: csrf.ReasonOriginMalformed},

		// The request's scheme behind a TLS-terminating proxy.
		{name: "forwarded https, trusted", method: "POST", target: "http://api.example.test/", xfp: "https", trustProto: true, origin: []string{"https://api.example.test"}},
		{name: "forwarded https list, trusted", method: "POST", target: "http://api.example.test/", xfp: "HTTPS, http", trustProto: true, origin: []string{"https://api.example.test"}},
		{name: "forwarded https, not trusted", method: "POST", target: "http://api.example.test/", xfp: "https", origin: []string{"https://api.example.test"}, want: csrf.ReasonOriginMismatch},
		{name: "forwarded http over TLS, trusted", method: "POST", target: api, xfp: "http", trustProto: true, origin: []string{"https://api.example.test"}, want: csrf.ReasonOriginMismatch},
		{name: "forwarded garbage falls back to the connection", method: "POST", target: api, xfp: "gopher", trustProto: true, origin: []string{"https://api.example.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := csrf.New(csrf.Config{TrustedOrigin: trusted, TrustForwardedProto: tc.trustProto})
			if err != nil {
				t.Fatal(err)
			}
			r := newRequest(tc.method, tc.target)
			switch tc.host {
			case "":
			case "-":
				r.Host = ""
			default:
				r.Host = tc.host
			}
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			r.Header["Origin"] = tc.origin
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("Check: reason %q, want %q", got, tc.want)
			}
		})
	}
}

// reasonOf returns the Reason of an error from Check or Protect, 0 for nil.
func reasonOf(t *testing.T, err error) csrf.Reason {
	t.Helper()
	if err == nil {
		return 0
	}
	var e csrf.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a csrf.Error", err, err)
	}
	return e.Reason
}

func TestZeroProtection(t *testing.T) {
	var p csrf.Protection
	tests := []struct {
		name   string
		site   string
		origin string
		want   csrf.Reason
	}{
		{name: "same-origin", site: "same-origin"},
		{name: "cross-site", site: "cross-site", origin: "https://app.example.test", want: csrf.ReasonCrossSite},
		{name: "no metadata, foreign", origin: "https://app.example.test", want: csrf.ReasonOriginMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest("POST", "https://api.example.test/")
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

// The cases of net/http's CrossOriginProtection tests, for this API: a
// request passes here when it passes there, except that bypass patterns are
// path prefixes and trusted origins a function.
func TestCrossOriginProtectionCases(t *testing.T) {
	t.Run("sec-fetch-site", func(t *testing.T) {
		p, err := csrf.New(csrf.Config{})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, method, site, origin string
			want                       int
		}{
			{"same-origin allowed", "POST", "same-origin", "", http.StatusOK},
			{"none allowed", "POST", "none", "", http.StatusOK},
			{"cross-site blocked", "POST", "cross-site", "", http.StatusForbidden},
			{"same-site blocked", "POST", "same-site", "", http.StatusForbidden},
			{"no header with no origin", "POST", "", "", http.StatusOK},
			{"no header with matching origin", "POST", "", "https://example.com", http.StatusOK},
			{"no header with mismatched origin", "POST", "", "https://attacker.example", http.StatusForbidden},
			{"no header with null origin", "POST", "", "null", http.StatusForbidden},
			{"GET allowed", "GET", "cross-site", "", http.StatusOK},
			{"HEAD allowed", "HEAD", "cross-site", "", http.StatusOK},
			{"OPTIONS allowed", "OPTIONS", "cross-site", "", http.StatusOK},
			{"PUT blocked", "PUT", "cross-site", "", http.StatusForbidden},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := newRequest(tc.method, "https://example.com/")
				if tc.site != "" {
					r.Header.Set("Sec-Fetch-Site", tc.site)
				}
				if tc.origin != "" {
					r.Header.Set("Origin", tc.origin)
				}
				if got := serve(p, r).Code; got != tc.want {
					t.Errorf("status %d, want %d", got, tc.want)
				}
			})
		}
	})

	t.Run("trusted origin", func(t *testing.T) {
		p, err := csrf.New(csrf.Config{TrustedOrigin: func(o string) bool { return o == "https://trusted.example" }})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, origin, site string
			want               int
		}{
			{"trusted origin without sec-fetch-site", "https://trusted.example", "", http.StatusOK},
			{"trusted origin with cross-site", "https://trusted.example", "cross-site", http.StatusOK},
			{"untrusted origin without sec-fetch-site", "https://attacker.example", "", http.StatusForbidden},
			{"untrusted origin with cross-site", "https://attacker.example", "cross-site", http.StatusForbidden},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := newRequest("POST", "https://example.com/")
				r.Header.Set("Origin", tc.origin)
				if tc.site != "" {
					r.Header.Set("Sec-Fetch-Site", tc.site)
				}
				if got := serve(p, r).Code; got != tc.want {
					t.Errorf("status %d, want %d", got, tc.want)
				}
			})
		}
	})

	t.Run("bypass", func(t *testing.T) {
		p, err := csrf.New(csrf.Config{ExemptPaths: []string{"/bypass/", "/no-trailing", "/yes-trailing/"}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, path, site string
			want             int
		}{
			{"bypass path without sec-fetch-site", "/bypass/", "", http.StatusOK},
			{"bypass path with cross-site", "/bypass/", "cross-site", http.StatusOK},
			{"under bypass path", "/bypass/a/b", "cross-site", http.StatusOK},
			{"non-bypass path without sec-fetch-site", "/api/", "", http.StatusForbidden},
			{"non-bypass path with cross-site", "/api/", "cross-site", http.StatusForbidden},
			{"dot-dot into bypass path", "/foo/../bypass/bar", "", http.StatusForbidden},
			{"dot-dot out of bypass path", "/bypass/../api/bar", "", http.StatusForbidden},
			{"dot segment in bypass path", "/bypass/./bar", "", http.StatusForbidden},
			{"double slash in bypass path", "/bypass//bar", "", http.StatusForbidden},
			{"bypass path without its trailing slash", "/bypass", "", http.StatusForbidden},
			{"no trailing slash exact match", "/no-trailing", "", http.StatusOK},
			{"no trailing slash, segment below", "/no-trailing/x", "", http.StatusOK},
			{"no trailing slash, longer name", "/no-trailingx", "", http.StatusForbidden},
			{"yes trailing slash exact match", "/yes-trailing/", "", http.StatusOK},
			{"yes trailing slash without slash", "/yes-trailing", "", http.StatusForbidden},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := newRequest("POST", "https://example.com/")
				r.URL.Path = tc.path
				r.Header.Set("Origin", "https://attacker.example")
				if tc.site != "" {
					r.Header.Set("Sec-Fetch-Site", tc.site)
				}
				if got := serve(p, r).Code; got != tc.want {
					t.Errorf("status %d, want %d", got, tc.want)
				}
			})
		}
	})
}

// serve runs r through p's Handler in front of a handler that answers 200.
func serve(p *csrf.Protection, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})).ServeHTTP(w, r)
	return w
}

func TestRefusal(t *testing.T) {
	p, err := csrf.New(csrf.Config{TrustedOrigin: trusted})
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []csrf.Reason{csrf.ReasonCrossSite, csrf.ReasonOriginMismatch, csrf.ReasonOriginMalformed} {
		t.Run(reason.String(), func(t *testing.T) {
			r := newRequest("POST", "https://api.example.test/")
			switch reason {
			case csrf.ReasonCrossSite:
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				r.Header.Set("Origin", "https://evil.test")
			case csrf.ReasonOriginMismatch:
				r.Header.Set("Origin", "https://evil.test")
			case csrf.ReasonOriginMalformed:
				r.Header.Set("Origin", "https://evil.test@api.example.test")
			}
			w := httptest.NewRecorder()
			// Set by the CORS layer before the protection runs.
			w.Header().Set("Access-Control-Allow-Origin", "https://evil.test")
			w.Header().Set("Vary", "Origin")
			err := p.Protect(w, r)
			if got := reasonOf(t, err); got != reason {
				t.Fatalf("Protect: reason %q, want %q", got, reason)
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", w.Code)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q, want application/json", got)
			}
			if want := `{"error":"csrf","reason":"` + reason.String() + `"}` + "\n"; w.Body.String() != want {
				t.Errorf("body %q, want %q", w.Body.String(), want)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://evil.test" {
				t.Errorf("Access-Control-Allow-Origin %q: the CORS headers set before Protect were lost", got)
			}
			if got := w.Header().Values("Vary"); len(got) != 1 || got[0] != "Origin" {
				t.Errorf("Vary %q, want [Origin]", got)
			}
			if !strings.Contains(err.Error(), reason.String()) {
				t.Errorf("error %q does not name its reason", err)
			}
		})
	}

	t.Run("handler does not call next", func(t *testing.T) {
		r := newRequest("POST", "https://api.example.test/")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		called := false
		w := httptest.NewRecorder()
		p.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(w, r)
		if called || w.Code != http.StatusForbidden {
			t.Errorf("next called: %v, status %d; want not called, 403", called, w.Code)
		}
	})
}

func TestReasons(t *testing.T) {
	want := []string{"cross-site", "same-site-untrusted", "origin-mismatch", "origin-malformed",
		"cookie-missing", "token-missing", "token-invalid", "token-expired"}
	var got []string
	for _, r := range csrf.Reasons() {
		got = append(got, r.String())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Reasons: %q, want %q", got, want)
	}
	if s := csrf.Reason(0).String(); s != "none" {
		t.Errorf("Reason(0): %q, want none", s)
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    csrf.Mode
		wantErr bool
	}{
		{in: "fetch-metadata", want: csrf.FetchMetadata},
		{in: "token", want: csrf.Token},
		{in: "both", want: csrf.Both},
		{in: "tokens", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := csrf.ParseMode(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseMode(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err == nil && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	long := strings.Repeat("s", 32)
	tests := []struct {
		name string
		cfg  csrf.Config
		want []string // substrings of the error, one per problem
	}{
		{name: "zero", cfg: csrf.Config{}},
		{name: "full", cfg: csrf.Config{Mode: csrf.Both, Secrets: []string{long, long + "x"}, TokenTTL: 1, ExemptPaths: []string{"/hooks"}, CookieName: "__Host-csrf", HeaderName: "x-xsrf-token"}},
		{name: "short secret", cfg: csrf.Config{Mode: csrf.Token, Secrets: []string{long, "short"}}, want: []string{"Secrets[1]: 5 bytes; a secret needs at least 32"}},
		{name: "empty secret", cfg: csrf.Config{Secrets: []string{""}}, want: []string{"Secrets[0]: 0 bytes"}},
		{name: "negative TTL", cfg: csrf.Config{TokenTTL: -1}, want: []string{"TokenTTL -1ns: must be positive"}},
		{name: "relative exempt path", cfg: csrf.Config{ExemptPaths: []string{"/ok", "hooks"}}, want: []string{`ExemptPaths[1] "hooks": must start with "/"`}},
		{name: "bad cookie name", cfg: csrf.Config{CookieName: "csrf token"}, want: []string{`CookieName "csrf token": not a valid cookie name`}},
		{name: "bad header name", cfg: csrf.Config{HeaderName: "X-CSRF:Token"}, want: []string{`HeaderName "X-CSRF:Token": not a valid header name`}},
		{name: "unknown mode", cfg: csrf.Config{Mode: 9}, want: []string{"Mode: unknown mode 9"}},
		{name: "all at once", cfg: csrf.Config{Secrets: []string{"x"}, TokenTTL: -1, ExemptPaths: []string{"x"}}, want: []string{"Secrets[0]", "TokenTTL", "ExemptPaths[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := csrf.New(tc.cfg)
			if len(tc.want) == 0 {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted the config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "csrf: "); n != len(tc.want) {
				t.Errorf("error reports %d problems, want %d: %q", n, len(tc.want), err)
			}
		})
	}
}

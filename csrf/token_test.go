package csrf_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/csrf"
)

var (
	secretA = strings.Repeat("a", 32)
	secretB = strings.Repeat("b", 40)
	epoch   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// clock is a settable time source for Config.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTokenProtection(t *testing.T, c *clock, cfg csrf.Config) *csrf.Protection {
	t.Helper()
	if cfg.Mode == csrf.FetchMetadata {
		cfg.Mode = csrf.Token
	}
	cfg.TokenTTL = time.Hour
	cfg.Now = c.now
	p, err := csrf.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// issue loads a page with GET and returns the token cookie it was given.
func issue(t testing.TB, p *csrf.Protection, target string) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	if err := p.Protect(w, newRequest("GET", target)); err != nil {
		t.Fatalf("GET refused: %v", err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("GET set %d cookies, want 1", len(cookies))
	}
	return cookies[0]
}

// post sends an unsafe same-origin request carrying cookie (when not
// empty) and header (when not empty).
func post(p *csrf.Protection, cookie, header string) (*httptest.ResponseRecorder, error) {
	r := newRequest("POST", "https://api.example.test/items")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != "" {
		r.Header.Set("Cookie", "session=abc; csrf_token="+cookie+"; theme=dark")
	}
	if header != "" {
		r.Header.Set("X-CSRF-Token", header)
	}
	w := httptest.NewRecorder()
	return w, p.Protect(w, r)
}

func TestTokenIssue(t *testing.T) {
	c := &clock{epoch}
	tests := []struct {
		name       string
		target     string
		cfg        csrf.Config
		xfp        string
		wantSecure bool
		wantDomain string
	}{
		{name: "https", target: "https://api.example.test/", wantSecure: true},
		{name: "http", target: "http://api.example.test/"},
		{name: "forwarded https, trusted", target: "http://api.example.test/", xfp: "https", cfg: csrf.Config{TrustForwardedProto: true}, wantSecure: true},
		{name: "forwarded https, not trusted", target: "http://api.example.test/", xfp: "https"},
		{name: "domain", target: "https://api.example.test/", cfg: csrf.Config{CookieDomain: "example.test"}, wantSecure: true, wantDomain: "example.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTokenProtection(t, c, tc.cfg)
			r := newRequest("GET", tc.target)
			if tc.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			w := httptest.NewRecorder()
			if err := p.Protect(w, r); err != nil {
				t.Fatal(err)
			}
			cookies := w.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("%d cookies, want 1", len(cookies))
			}
			k := cookies[0]
			if k.Name != csrf.DefaultCookieName || k.Path != "/" || k.HttpOnly || k.SameSite != http.SameSiteLaxMode || k.MaxAge != 3600 {
				t.Errorf("cookie %s: want %s, Path=/, readable by the page, SameSite=Lax, Max-Age=3600", k, csrf.DefaultCookieName)
			}
			if k.Secure != tc.wantSecure {
				t.Errorf("Secure %v, want %v", k.Secure, tc.wantSecure)
			}
			if k.Domain != tc.wantDomain {
				t.Errorf("Domain %q, want %q", k.Domain, tc.wantDomain)
			}
			if len(k.Value) != 76 || strings.Trim(k.Value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("token %q is not 76 base64url characters", k.Value)
			}
		})
	}
}

func TestTokenLifetime(t *testing.T) {
	c := &clock{epoch}
	p := newTokenProtection(t, c, csrf.Config{})
	k := issue(t, p, "https://api.example.test/")

	tests := []struct {
		name      string
		after     time.Duration
		wantNew   bool // a GET at that time gets a new cookie
		wantCheck csrf.Reason
	}{
		{name: "fresh", after: 0},
		{name: "half-way", after: 30 * time.Minute},
		{name: "last second", after: time.Hour - time.Second},
		{name: "at expiry", after: time.Hour, wantNew: true, wantCheck: csrf.ReasonTokenExpired},
		{name: "long after", after: 48 * time.Hour, wantNew: true, wantCheck: csrf.ReasonTokenExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.t = epoch.Add(tc.after)
			r := newRequest("GET", "https://api.example.test/page")
			r.AddCookie(k)
			w := httptest.NewRecorder()
			if err := p.Protect(w, r); err != nil {
				t.Fatal(err)
			}
			if got := len(w.Result().Cookies()) == 1; got != tc.wantNew {
				t.Errorf("GET issued a new cookie: %v, want %v", got, tc.wantNew)
			}
			if _, err := post(p, k.Value, k.Value); reasonOf(t, err) != tc.wantCheck {
				t.Errorf("POST: %v, want reason %q", err, tc.wantCheck)
			}
		})
	}
}

func TestTokenCheck(t *testing.T) {
	c := &clock{epoch}
	p := newTokenProtection(t, c, csrf.Config{Secrets: []string{secretA}})
	mine := issue(t, p, "https://api.example.test/").Value
	other := issue(t, p, "https://api.example.test/").Value
	fromB := issue(t, newTokenProtection(t, c, csrf.Config{Secrets: []string{secretB}}), "https://api.example.test/").Value
	c.t = epoch.Add(-2 * time.Hour)
	old := issue(t, p, "https://api.example.test/").Value
	c.t = epoch

	// flip changes one character of the signature.
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name           string
		cookie, header string
		want           csrf.Reason
	}{
		{name: "round trip", cookie: mine, header: mine},
		{name: "missing cookie", header: mine, want: csrf.ReasonCookieMissing},
		{name: "missing cookie and header", want: csrf.ReasonCookieMissing},
		{name: "missing header", cookie: mine, want: csrf.ReasonTokenMissing},
		{name: "another session's token", cookie: mine, header: other, want: csrf.ReasonTokenInvalid},
		{name: "tampered signature, both", cookie: flip(mine, 70), header: flip(mine, 70), want: csrf.ReasonTokenInvalid},
		{name: "tampered session id, both", cookie: flip(mine, 5), header: flip(mine, 5), want: csrf.ReasonTokenInvalid},
		{name: "tampered expiry, both", cookie: flip(mine, 30), header: flip(mine, 30), want: csrf.ReasonTokenInvalid},
		{name: "tampered header only", cookie: mine, header: flip(mine, 70), want: csrf.ReasonTokenInvalid},
		{name: "wrong secret", cookie: fromB, header: fromB, want: csrf.ReasonTokenInvalid},
		{name: "expired", cookie: old, header: old, want: csrf.ReasonTokenExpired},
		{name: "truncated", cookie: mine[:75], header: mine[:75], want: csrf.ReasonTokenInvalid},
		{name: "padded", cookie: mine + "=", header: mine + "=", want: csrf.ReasonTokenInvalid},
		{name: "standard base64 alphabet", cookie: strings.Repeat("+", 76), header: strings.Repeat("+", 76), want: csrf.ReasonTokenInvalid},
		{name: "garbage", cookie: "x", header: "x", want: csrf.ReasonTokenInvalid},
		{name: "quoted cookie", cookie: `"` + mine + `"`, header: mine},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := post(p, tc.cookie, tc.header)
			if got := reasonOf(t, err); got != tc.want {
				t.Fatalf("reason %q, want %q", got, tc.want)
			}
			if tc.want != 0 && w.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", w.Code)
			}
		})
	}
}

func TestTokenRotation(t *testing.T) {
	c := &clock{epoch}
	before := newTokenProtection(t, c, csrf.Config{Secrets: []string{secretA}})
	rotated := newTokenProtection(t, c, csrf.Config{Secrets: []string{secretB, secretA}})
	after := newTokenProtection(t, c, csrf.Config{Secrets: []string{secretB}})
	oldToken := issue(t, before, "https://api.example.test/").Value
	newToken := issue(t, rotated, "https://api.example.test/").Value

	tests := []struct {
		name  string
		p     *csrf.Protection
		token string
		want  csrf.Reason
	}{
		{name: "old token, rotated secrets", p: rotated, token: oldToken},
		{name: "new token, rotated secrets", p: rotated, token: newToken},
		{name: "new token signed by the first secret", p: after, token: newToken},
		{name: "new token, old secret only", p: before, token: newToken, want: csrf.ReasonTokenInvalid},
		{name: "old token, old secret dropped", p: after, token: oldToken, want: csrf.ReasonTokenInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := post(tc.p, tc.token, tc.token); reasonOf(t, err) != tc.want {
				t.Errorf("%v, want reason %q", err, tc.want)
			}
		})
	}
}

// A random per-process secret is still a secret: two protections built
// without one do not accept each other's tokens.
func TestTokenRandomSecret(t *testing.T) {
	c := &clock{epoch}
	p1 := newTokenProtection(t, c, csrf.Config{})
	p2 := newTokenProtection(t, c, csrf.Config{})
	k := issue(t, p1, "https://api.example.test/").Value
	if _, err := post(p1, k, k); err != nil {
		t.Errorf("own token: %v", err)
	}
	if _, err := post(p2, k, k); reasonOf(t, err) != csrf.ReasonTokenInvalid {
		t.Errorf("other process's token: %v, want token-invalid", err)
	}
}

// A refusal hands out a new cookie when the request's own is missing, forged
// or expired, so that the page can retry; it never replaces a valid one.
func TestTokenRefusalReissues(t *testing.T) {
	c := &clock{epoch}
	p := newTokenProtection(t, c, csrf.Config{})
	valid := issue(t, p, "https://api.example.test/").Value
	c.t = epoch.Add(-2 * time.Hour)
	expired := issue(t, p, "https://api.example.test/").Value
	c.t = epoch

	tests := []struct {
		name           string
		cookie, header string
		want           csrf.Reason
		wantCookie     bool
	}{
		{name: "missing cookie", header: valid, want: csrf.ReasonCookieMissing, wantCookie: true},
		{name: "expired cookie", cookie: expired, header: expired, want: csrf.ReasonTokenExpired, wantCookie: true},
		{name: "forged cookie", cookie: "forged", header: "forged", want: csrf.ReasonTokenInvalid, wantCookie: true},
		{name: "valid cookie, missing header", cookie: valid, want: csrf.ReasonTokenMissing},
		{name: "valid cookie, wrong header", cookie: valid, header: expired, want: csrf.ReasonTokenInvalid},
		{name: "pass", cookie: valid, header: valid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := post(p, tc.cookie, tc.header)
			if got := reasonOf(t, err); got != tc.want {
				t.Fatalf("reason %q, want %q", got, tc.want)
			}
			if got := len(w.Result().Cookies()) == 1; got != tc.wantCookie {
				t.Errorf("new cookie: %v, want %v", got, tc.wantCookie)
			}
		})
	}
}

func TestBothModes(t *testing.T) {
	c := &clock{epoch}
	p := newTokenProtection(t, c, csrf.Config{Mode: csrf.Both, TrustedOrigin: trusted})
	k := issue(t, p, "https://api.example.test/").Value

	tests := []struct {
		name, site, origin string
		token              string
		want               csrf.Reason
	}{
		{name: "same-origin with token", site: "same-origin", token: k},
		{name: "trusted cross-site with token", site: "cross-site", origin: "https://app.example.test", token: k},
		{name: "same-origin without token", site: "same-origin", want: csrf.ReasonCookieMissing},
		{name: "cross-site with token", site: "cross-site", origin: "https://evil.test", token: k, want: csrf.ReasonCrossSite},
		{name: "no metadata, foreign origin, with token", origin: "https://evil.test", token: k, want: csrf.ReasonOriginMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest("DELETE", "https://api.example.test/items/1")
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.token != "" {
				r.Header.Set("Cookie", csrf.DefaultCookieName+"="+tc.token)
				r.Header.Set("X-Csrf-Token", tc.token)
			}
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTokenNames(t *testing.T) {
	c := &clock{epoch}
	p := newTokenProtection(t, c, csrf.Config{CookieName: "__Host-xsrf", HeaderName: "x-xsrf-token"})
	k := issue(t, p, "https://api.example.test/")
	if k.Name != "__Host-xsrf" {
		t.Fatalf("cookie name %q, want __Host-xsrf", k.Name)
	}
	tests := []struct {
		name, cookie, header string
		want                 csrf.Reason
	}{
		{name: "configured names", cookie: "__Host-xsrf", header: "X-XSRF-Token"},
		{name: "default header name", cookie: "__Host-xsrf", header: "X-CSRF-Token", want: csrf.ReasonTokenMissing},
		{name: "default cookie name", cookie: "csrf_token", header: "X-XSRF-Token", want: csrf.ReasonCookieMissing},
		{name: "cookie name prefix", cookie: "__Host-xsrf2", header: "X-XSRF-Token", want: csrf.ReasonCookieMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest("POST", "https://api.example.test/")
			r.Header.Set("Cookie", tc.cookie+"="+k.Value)
			r.Header.Set(tc.header, k.Value)
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

// Exempt paths skip the token check too.
func TestTokenExempt(t *testing.T) {
	p := newTokenProtection(t, &clock{epoch}, csrf.Config{ExemptPaths: []string{"/hooks/"}})
	tests := []struct {
		path string
		want csrf.Reason
	}{
		{path: "/hooks/github"},
		{path: "/hooks/../items", want: csrf.ReasonCookieMissing},
		{path: "/items", want: csrf.ReasonCookieMissing},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := newRequest("POST", "https://api.example.test/")
			r.URL.Path = tc.path
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

// TestManySessions checks tokens past what the verified-token memory holds:
// each still passes (verified afresh), a token twice, and a forged one never.
func TestManySessions(t *testing.T) {
	c := &clock{t: epoch}
	p := newTokenProtection(t, c, csrf.Config{Secrets: []string{secretA}})
	var tokens []string
	for range 20000 {
		tokens = append(tokens, issue(t, p, "https://api.example.test/").Value)
	}
	for round := range 2 {
		for i, tok := range tokens {
			if _, err := post(p, tok, tok); err != nil {
				t.Fatalf("round %d, token %d: %v", round, i, err)
			}
		}
	}
	forged := []byte(tokens[0])
	forged[10] ^= 1
	if _, err := post(p, string(forged), string(forged)); err == nil {
		t.Error("a forged token passed")
	}
	c.t = epoch.Add(2 * time.Hour)
	if _, err := post(p, tokens[len(tokens)-1], tokens[len(tokens)-1]); err == nil {
		t.Error("an expired token that was verified before passed")
	}
}

package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/gateway"
	"github.com/prometheus/client_golang/prometheus"
)

const consoleConfig = `
admin:
  listen: 127.0.0.1:9180
  keys:
    - {name: ops, key: "admin-key-0123456789", role: admin}
    - {name: dash, key: "viewer-key-0123456789", role: viewer}
policies:
  web: {allow_origins: [https://app.example.com], allow_methods: [GET, PUT], max_age: 600}
upstreams:
  api: {targets: [http://127.0.0.1:9]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
`

// newConsole serves the admin listener of consoleConfig, file mode.
func newConsole(t testing.TB) http.Handler {
	t.Helper()
	cfg, err := config.Parse("console.yaml", []byte(consoleConfig))
	if err != nil {
		t.Fatal(err)
	}
	recent := &decisions.Log{}
	gw, err := gateway.New(cfg, gateway.Options{Decisions: recent})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := admin.NewAuth(cfg.Admin.Keys)
	if err != nil {
		t.Fatal(err)
	}
	return admin.Handler(admin.Options{Metrics: prometheus.NewRegistry(), Auth: auth, Config: gw.Config, Explain: gw.Explain, Decisions: recent})
}

// browser is a cookie jar over one handler, sending what a page of the
// console's own origin sends.
type browser struct {
	h       http.Handler
	cookies map[string]string
}

func (b *browser) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://127.0.0.1:9180"+path, strings.NewReader(body))
	for name, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		b.cookies[c.Name] = c.Value
	}
	return w
}

func TestConsoleSession(t *testing.T) {
	b := &browser{h: newConsole(t), cookies: map[string]string{}}
	if w := b.do("GET", "/ui/", ""); w.Code != 200 || b.cookies["crossgate_console_csrf"] == "" {
		t.Fatalf("GET /ui/: %d, cookies %v; want 200 and a CSRF token", w.Code, b.cookies)
	}
	token := b.cookies["crossgate_console_csrf"]
	if w := b.do("GET", "/ui/api/config", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("config before login: %d, want 401", w.Code)
	}
	if w := b.do("GET", "/ui/api/events", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("events before login: %d, want 401", w.Code)
	}
	if w := b.do("POST", "/ui/api/session", `{"key":"admin-key-0123456789"}`); w.Code != http.StatusForbidden {
		t.Errorf("login without the CSRF header: %d, want 403", w.Code)
	}
	if w := b.do("POST", "/ui/api/session", `{"key":"admin-key-0123456789"}`, "X-CSRF-Token", token, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Errorf("login from another site: %d, want 403", w.Code)
	}
	if w := b.do("POST", "/ui/api/session", `{"key":"wrong-key-0123456789"}`, "X-CSRF-Token", token); w.Code != http.StatusUnauthorized || b.cookies["crossgate_console"] != "" {
		t.Errorf("login with a wrong key: %d, session %q; want 401, none", w.Code, b.cookies["crossgate_console"])
	}
	w := b.do("POST", "/ui/api/session", `{"key":"viewer-key-0123456789"}`, "X-CSRF-Token", token)
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	sc := w.Header().Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/ui/"} {
		if !strings.Contains(sc, attr) {
			t.Errorf("session cookie %q lacks %s", sc, attr)
		}
	}
	if strings.Contains(w.Body.String(), "viewer-key") || strings.Contains(sc, "viewer-key") {
		t.Error("the key is sent back to the page")
	}
	if w := b.do("GET", "/ui/api/config", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"used_by"`) {
		t.Errorf("config after login: %d %s", w.Code, w.Body)
	}
	// The viewer's session reaches the Admin API as the viewer: it reads,
	// and /v1/explain answers.
	if w := b.do("GET", "/ui/api/v1/config", ""); w.Code != 200 {
		t.Errorf("GET /v1/config through the console: %d %s", w.Code, w.Body)
	}
	w = b.do("POST", "/ui/api/v1/explain", `{"origin":"https://evil.example","method":"PUT","host":"api.example.com","path":"/api/x"}`, "X-CSRF-Token", token)
	var res decisions.Result
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || w.Code != 200 {
		t.Fatalf("explain through the console: %d %s", w.Code, w.Body)
	}
	if res.Route != "api" || res.Browser.Allowed || res.Browser.Error.Code != "PreflightMissingAllowOriginHeader" {
		t.Errorf("explain: route %q, allowed %v, error %+v", res.Route, res.Browser.Allowed, res.Browser.Error)
	}
	if w := b.do("DELETE", "/ui/api/session", "", "X-CSRF-Token", token); w.Code != http.StatusNoContent {
		t.Errorf("logout: %d", w.Code)
	}
	if w := b.do("GET", "/ui/api/config", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("config after logout: %d, want 401", w.Code)
	}
}

func TestExplainNeedsAKey(t *testing.T) {
	h := newConsole(t)
	body := `{"origin":"https://app.example.com","method":"PUT","path":"/api/x"}`
	for _, c := range []struct {
		key  string
		want int
	}{{"", 401}, {"wrong-key-0123456789", 401}, {"viewer-key-0123456789", 200}} {
		r := httptest.NewRequest("POST", "/v1/explain", strings.NewReader(body))
		if c.key != "" {
			r.Header.Set("Authorization", "Bearer "+c.key)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("key %q: %d, want %d", c.key, w.Code, c.want)
		}
	}
	for _, bad := range []string{`{"origin": 1}`, `{"origin":"https://a.example","path":"/"} {}`, `{"origin":"https://a.example","path":"/","extra":1}`, `{"origin":"https://a.example","path":"x"}`} {
		r := httptest.NewRequest("POST", "/v1/explain", strings.NewReader(bad))
		r.Header.Set("Authorization", "Bearer viewer-key-0123456789")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 400 || !strings.Contains(w.Body.String(), "invalid-request") {
			t.Errorf("%s: %d %s, want 400 invalid-request", bad, w.Code, w.Body)
		}
	}
}

func TestPropose(t *testing.T) {
	b := &browser{h: newConsole(t), cookies: map[string]string{}}
	b.do("GET", "/ui/", "")
	token := b.cookies["crossgate_console_csrf"]
	b.do("POST", "/ui/api/session", `{"key":"admin-key-0123456789"}`, "X-CSRF-Token", token)
	for _, c := range []struct {
		body, after, finding string
		status               int
	}{
		{`{"key":"policies.web","field":"allow_origins","value":"https://new.example.com"}`, `allow_origins: ["https://app.example.com", "https://new.example.com"]`, "", 200},
		{`{"key":"policies.web","field":"allow_headers","value":"X-Debug"}`, `allow_headers: ["X-Debug"]`, "", 200},
		{`{"key":"policies.web","field":"allow_origins","value":"http://insecure.example.com"}`, `allow_origins: ["https://app.example.com", "http://insecure.example.com"]`, "http-origin", 200},
		{`{"key":"policies.nope","field":"allow_origins","value":"https://a.example"}`, "", "", 400},
		{`{"key":"policies.web","field":"expose_headers","value":"X"}`, "", "", 400},
	} {
		w := b.do("POST", "/ui/api/propose", c.body, "X-CSRF-Token", token)
		if w.Code != c.status {
			t.Errorf("%s: %d %s, want %d", c.body, w.Code, w.Body, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		var p struct {
			After       string `json:"after"`
			NewFindings []struct {
				Rule string `json:"rule"`
			} `json:"new_findings"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if p.After != c.after {
			t.Errorf("%s: after %q, want %q", c.body, p.After, c.after)
		}
		found := ""
		for _, f := range p.NewFindings {
			found = f.Rule
		}
		if found != c.finding {
			t.Errorf("%s: new finding %q, want %q", c.body, found, c.finding)
		}
	}
}

// FuzzExplainBody sends POST /v1/explain any body: the answer is 200 or a
// 400 that says what is wrong, never a panic or a 500.
func FuzzExplainBody(f *testing.F) {
	f.Add(`{"origin":"https://evil.example","method":"PUT","host":"api.example.com","path":"/api/x","headers":[{"name":"X-Debug","value":"1"}],"credentials":true}`)
	f.Add(`{"origin":"null","path":"/api/"}`)
	f.Add(`{"origin":"https://a.example","path":"/api/","headers":[{"name":"<b>","value":"\u0000"}]}`)
	f.Add(`[]`)
	h := newConsole(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/explain", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer viewer-key-0123456789")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && !(w.Code == 400 && strings.Contains(w.Body.String(), "invalid-request")) {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}

// TestOpenConsoleAnswersOnlyLoopback: without admin keys the console
// answers only requests to a loopback Host, so that a site whose name
// resolves to 127.0.0.1 cannot read it.
func TestOpenConsoleAnswersOnlyLoopback(t *testing.T) {
	cfg, err := config.Parse("open.yaml", []byte(`
admin: {listen: 127.0.0.1:9180}
upstreams:
  api: {targets: [http://127.0.0.1:9]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: {allow_origins: [https://app.example.com]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	recent := &decisions.Log{}
	gw, err := gateway.New(cfg, gateway.Options{Decisions: recent})
	if err != nil {
		t.Fatal(err)
	}
	h := admin.Handler(admin.Options{Metrics: prometheus.NewRegistry(), Config: gw.Config, Explain: gw.Explain, Decisions: recent})
	for _, c := range []struct {
		host string
		want int
	}{{"127.0.0.1:9180", 200}, {"localhost:9180", 200}, {"[::1]:9180", 200}, {"rebound.example:9180", 403}} {
		for _, path := range []string{"/ui/", "/ui/api/config"} {
			r := httptest.NewRequest("GET", path, nil)
			r.Host = c.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want || w.Header().Get("Content-Security-Policy") != admin.ConsoleCSP {
				t.Errorf("GET %s on Host %s: %d, CSP %q; want %d with the CSP", path, c.host, w.Code, w.Header().Get("Content-Security-Policy"), c.want)
			}
		}
	}
}

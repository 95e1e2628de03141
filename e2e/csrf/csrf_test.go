package csrf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/csrf"
	"github.com/crossgate/crossgate/e2e"
	"github.com/crossgate/crossgate/e2e/conformance"
)

// An env is one browser, the gateway over HTTPS with a route per CSRF mode,
// the recording upstream behind it, and the pages scripts run from.
type env struct {
	b  *e2e.Browser
	gw *conformance.Gateway
	up *conformance.Upstream
	// api is the gateway's HTTPS origin.
	api string
	// Page URLs: the attacker's site, the application the CORS policy
	// allows (a sibling host of the API, so same-site), and a page the
	// gateway serves on the API's own origin.
	evil, app, self string
	appOrigin       string
}

// config is the gateway's file: three protected routes that share one CORS
// policy, which allows the application with credentials, and a route that
// serves an HTML page on the API's origin. %[1]s is the application's
// origin, %[2]s the upstream, %[3]s the page server.
const config = `
policies:
  app:
    allow_origins: [%[1]q]
    allow_methods: [PUT]
    allow_headers: [Content-Type, X-CSRF-Token]
    allow_credentials: true
upstreams:
  api: {targets: [%[2]q]}
  pages: {targets: [%[3]q]}
routes:
  - {id: meta, path_prefix: /meta/, upstream: api, cors: app, csrf: {mode: fetch-metadata, exempt_paths: [/meta/echo/hooks]}}
  - {id: token, path_prefix: /token/, upstream: api, cors: app, csrf: {mode: token}}
  - {id: both, path_prefix: /both/, upstream: api, cors: app, csrf: {mode: both}}
  - {id: page, path_prefix: /page/, upstream: pages}
`

func newEnv(t *testing.T) *env {
	t.Helper()
	// Chromium sends Fetch Metadata only to secure origins, so every page
	// and the gateway are served over HTTPS.
	b := e2e.LaunchTest(t, e2e.Options{IgnoreCertificateErrors: true})
	page := http.HandlerFunc(e2e.ServePage)
	evil := e2e.NewTLSServer("evil.test", page)
	t.Cleanup(evil.Close)
	app := e2e.NewTLSServer("app.example.test", page)
	t.Cleanup(app.Close)
	pages := e2e.NewServer("127.0.0.1", page)
	t.Cleanup(pages.Close)
	up := conformance.StartUpstream()
	t.Cleanup(up.Close)

	gw, err := conformance.ParseGateway(conformance.APIHost, fmt.Sprintf(config, app.Origin, up.Server.URL, pages.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	api := gw.URL("https")
	return &env{b: b, gw: gw, up: up, api: api, evil: evil.URL + "/", app: app.URL + "/", self: api + "/page/", appOrigin: app.Origin}
}

// refusals returns crossgate_csrf_refusals_total for route and reason.
func (e *env) refusals(t *testing.T, route, reason string) float64 {
	t.Helper()
	families, err := e.gw.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "crossgate_csrf_refusals_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// gatewaySaw returns the headers of the first request with method and path
// that reached the gateway, and whether there was one.
func (e *env) gatewaySaw(method, path string) (http.Header, bool) {
	for _, r := range e.gw.Recorder.Requests() {
		if r.Method == method && r.Path == path {
			return r.Header, true
		}
	}
	return nil, false
}

func TestCSRFInChromium(t *testing.T) {
	e := newEnv(t)
	t.Run("form", func(t *testing.T) { testForms(t, e) })
	t.Run("fetch", func(t *testing.T) { testFetches(t, e) })
	t.Run("preflight", func(t *testing.T) { testPreflights(t, e) })
}

// formScript submits an HTML form, as a forged one would be, into a frame
// of the page, and resolves when the frame has loaded the answer: by then
// the gateway has decided, and any request it forwarded has reached the
// upstream. The result is the answer's text when the page may read it (same
// origin), null otherwise. When prime is not empty the page first GETs it,
// so that a token route has issued its cookie.
func formScript(prime, action string) string {
	return fmt.Sprintf(`(async () => {
		if (%[1]q) await fetch(%[1]q);
		const frame = document.createElement("iframe");
		frame.name = "sink";
		document.body.appendChild(frame);
		const form = document.createElement("form");
		form.method = "POST";
		form.action = %[2]q;
		form.target = "sink";
		const field = document.createElement("input");
		field.name = "amount";
		field.value = "1000";
		form.appendChild(field);
		document.body.appendChild(form);
		await new Promise(resolve => { frame.onload = resolve; form.submit(); });
		try { return frame.contentDocument.body.textContent; } catch (e) { return null; }
	})()`, prime, action)
}

func testForms(t *testing.T, e *env) {
	tests := []struct {
		name string
		page string
		// route is the protected route, path the rest of the form's path.
		route, path string
		prime       bool
		// wantSite is the Sec-Fetch-Site the browser must send, so that the
		// case proves the check it means to.
		wantSite string
		// wantReason is the refusal's reason; empty when the form passes.
		wantReason string
		wantBody   string
	}{
		{name: "cross-site form POST to a fetch-metadata route is refused", page: e.evil,
			route: "meta", path: "echo/cross-site-meta", wantSite: "cross-site", wantReason: "cross-site"},
		{name: "cross-site form POST to a token route is refused: the site's POST carries no SameSite=Lax cookie", page: e.evil,
			route: "token", path: "echo/cross-site-token", wantSite: "cross-site", wantReason: "cookie-missing"},
		{name: "cross-site form POST to a route in both modes is refused by Fetch Metadata", page: e.evil,
			route: "both", path: "echo/cross-site-both", wantSite: "cross-site", wantReason: "cross-site"},
		{name: "cross-site form POST to an exempt path passes", page: e.evil,
			route: "meta", path: "echo/hooks/github", wantSite: "cross-site"},
		{name: "form POST from a page on the API's own origin passes", page: e.self,
			route: "meta", path: "echo/same-origin-meta", wantSite: "same-origin", wantBody: "ok"},
		{name: "form POST from the API's own origin to a token route is refused: a form cannot send the token header", page: e.self,
			route: "token", path: "echo/same-origin-token", prime: true, wantSite: "same-origin", wantReason: "token-missing",
			wantBody: `{"error":"csrf","reason":"token-missing"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			path := "/" + tt.route + "/" + tt.path
			prime := ""
			if tt.prime {
				prime = e.api + "/" + tt.route + "/echo/prime"
			}
			before := e.refusals(t, tt.route, tt.wantReason)

			var body *string
			trace, err := e.b.Eval(ctx, tt.page, formScript(prime, e.api+path), &body)
			if err != nil {
				t.Fatal(err)
			}

			hdr, ok := e.gatewaySaw("POST", path)
			if !ok {
				t.Fatalf("the form POST %s never reached the gateway", path)
			}
			if got := hdr.Get("Sec-Fetch-Site"); got != tt.wantSite {
				t.Errorf("the browser sent Sec-Fetch-Site %q, want %q", got, tt.wantSite)
			}
			wantStatus := http.StatusOK
			if tt.wantReason != "" {
				wantStatus = http.StatusForbidden
			}
			if status := documentStatus(trace, e.api+path); status != wantStatus {
				t.Errorf("the form's answer had status %d, want %d", status, wantStatus)
			}
			got := e.up.Recorder.Count("POST", path)
			if tt.wantReason != "" {
				if got != 0 {
					t.Errorf("the upstream received the refused POST %d times, want never", got)
				}
				if n := e.refusals(t, tt.route, tt.wantReason) - before; n != 1 {
					t.Errorf("crossgate_csrf_refusals_total{route=%q,reason=%q} grew by %v, want 1", tt.route, tt.wantReason, n)
				}
			} else if got != 1 {
				t.Errorf("the upstream received the POST %d times, want once", got)
			}
			if tt.wantBody != "" && (body == nil || strings.TrimSpace(*body) != tt.wantBody) {
				t.Errorf("the frame shows %q, want %q", deref(body), tt.wantBody)
			}
		})
	}
}

// tokenPattern finds the token in a Cookie header or document.cookie.
const tokenPattern = `/(?:^|;\s*)csrf_token=([^;]*)/`

// fetchScript has the page POST to the gateway with fetch(), as a single
// page application does, and returns what the script could read. Before
// that it GETs prime, if not empty, so that a token route issues its
// cookie, and takes the token from source: "cookie" reads document.cookie,
// "endpoint" GETs /token/whoami/, which answers with the request's Cookie
// header (an API that hands the token to the pages its CORS policy lets
// read the answer), and "" sends none.
func fetchScript(api, credentials, prime, source, path string) string {
	return fmt.Sprintf(`(async () => {
		const api = %[1]q, credentials = %[2]q;
		if (%[3]q) await fetch(api + %[3]q, {credentials});
		let token = "";
		if (%[4]q === "cookie") {
			token = (document.cookie.match(%[6]s) || [])[1] || "";
		} else if (%[4]q === "endpoint") {
			const who = await (await fetch(api + "/token/whoami/", {credentials})).text();
			token = (who.match(%[6]s) || [])[1] || "";
		}
		const headers = {"Content-Type": "text/plain"};
		if (token) headers["X-CSRF-Token"] = token;
		const out = {tokenFound: token !== "", cookieReadable: %[6]s.test(document.cookie)};
		try {
			const r = await fetch(api + %[5]q, {method: "POST", credentials, headers, body: "{}"});
			return {...out, status: r.status, contentType: r.headers.get("Content-Type") || "", body: await r.text()};
		} catch (e) {
			return {...out, error: String(e)};
		}
	})()`, api, credentials, prime, source, path, tokenPattern)
}

// fetched is what fetchScript returns.
type fetched struct {
	TokenFound     bool   `json:"tokenFound"`
	CookieReadable bool   `json:"cookieReadable"`
	Status         int    `json:"status"`
	ContentType    string `json:"contentType"`
	Body           string `json:"body"`
	Error          string `json:"error"`
}

func testFetches(t *testing.T, e *env) {
	tests := []struct {
		name        string
		page        string
		credentials string
		route, path string
		prime       bool
		source      string
		wantSite    string
		// wantStatus 200 means the POST reached the upstream; 403 that the
		// page read the refusal and its reason; 0 that the fetch failed.
		wantStatus int
		wantReason string
		// wantTokenFound and wantCookieReadable say whether the page got
		// hold of the token, and whether document.cookie showed it.
		wantTokenFound, wantCookieReadable bool
	}{
		{name: "same-origin fetch with the token from the cookie passes a token route", page: e.self, credentials: "same-origin",
			route: "token", path: "echo/same-origin-token", prime: true, source: "cookie", wantSite: "same-origin",
			wantStatus: 200, wantTokenFound: true, wantCookieReadable: true},
		{name: "same-origin fetch without the token is refused by a token route", page: e.self, credentials: "same-origin",
			route: "token", path: "echo/same-origin-no-token", prime: true, wantSite: "same-origin",
			wantStatus: 403, wantReason: "token-missing", wantCookieReadable: true},
		{name: "same-origin fetch with the token passes a route in both modes", page: e.self, credentials: "same-origin",
			route: "both", path: "echo/same-origin-both", prime: true, source: "cookie", wantSite: "same-origin",
			wantStatus: 200, wantTokenFound: true, wantCookieReadable: true},
		{name: "credentialed fetch from the allowed origin passes a fetch-metadata route", page: e.app, credentials: "include",
			route: "meta", path: "echo/allowed-meta", wantSite: "same-site", wantStatus: 200},
		{name: "the allowed origin cannot read the API host's token cookie, but passes with the token an API endpoint hands it", page: e.app, credentials: "include",
			route: "token", path: "echo/allowed-token", prime: true, source: "endpoint", wantSite: "same-site",
			wantStatus: 200, wantTokenFound: true},
		{name: "credentialed fetch from the allowed origin without the token is refused, and the page reads why", page: e.app, credentials: "include",
			route: "token", path: "echo/allowed-no-token", prime: true, wantSite: "same-site",
			wantStatus: 403, wantReason: "token-missing"},
		{name: "fetch from the allowed origin without cookies is refused, and the page reads why", page: e.app, credentials: "omit",
			route: "token", path: "echo/allowed-no-cookie", wantSite: "same-site",
			wantStatus: 403, wantReason: "cookie-missing"},
		{name: "the allowed origin passes Fetch Metadata but not the token check of a route in both modes", page: e.app, credentials: "include",
			route: "both", path: "echo/allowed-both-no-token", prime: true, wantSite: "same-site",
			wantStatus: 403, wantReason: "token-missing"},
		{name: "an attacker's credentialed fetch is refused and the page learns nothing", page: e.evil, credentials: "include",
			route: "meta", path: "echo/attacker-meta", wantSite: "cross-site", wantReason: "cross-site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			path := "/" + tt.route + "/" + tt.path
			prime := ""
			if tt.prime {
				prime = "/" + tt.route + "/echo/prime"
			}
			before := e.refusals(t, tt.route, tt.wantReason)

			var got fetched
			trace, err := e.b.Eval(ctx, tt.page, fetchScript(e.api, tt.credentials, prime, tt.source, path), &got)
			if err != nil {
				t.Fatal(err)
			}

			if got.TokenFound != tt.wantTokenFound || got.CookieReadable != tt.wantCookieReadable {
				t.Errorf("page found a token: %v, read the cookie: %v; want %v, %v", got.TokenFound, got.CookieReadable, tt.wantTokenFound, tt.wantCookieReadable)
			}
			hdr, ok := e.gatewaySaw("POST", path)
			if !ok {
				t.Fatalf("the POST %s never reached the gateway (page saw %+v)", path, got)
			}
			if site := hdr.Get("Sec-Fetch-Site"); site != tt.wantSite {
				t.Errorf("the browser sent Sec-Fetch-Site %q, want %q", site, tt.wantSite)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("page read status %d (error %q), want %d", got.Status, got.Error, tt.wantStatus)
			}
			upstream := e.up.Recorder.Count("POST", path)
			if tt.wantReason == "" {
				if upstream != 1 {
					t.Errorf("the upstream received the POST %d times, want once", upstream)
				}
				if got.Body != "ok" {
					t.Errorf("page read body %q, want the upstream's %q", got.Body, "ok")
				}
				return
			}
			if upstream != 0 {
				t.Errorf("the upstream received the refused POST %d times, want never", upstream)
			}
			if n := e.refusals(t, tt.route, tt.wantReason) - before; n != 1 {
				t.Errorf("crossgate_csrf_refusals_total{route=%q,reason=%q} grew by %v, want 1", tt.route, tt.wantReason, n)
			}
			if tt.wantStatus == 0 {
				if got.Error == "" {
					t.Errorf("the page read the refusal (%+v), want a failed fetch", got)
				}
				return
			}
			var refusal struct{ Error, Reason string }
			if err := json.Unmarshal([]byte(got.Body), &refusal); err != nil || refusal.Error != "csrf" || refusal.Reason != tt.wantReason {
				t.Errorf("page read body %q, want the JSON refusal with reason %q", got.Body, tt.wantReason)
			}
			if !strings.HasPrefix(got.ContentType, "application/json") {
				t.Errorf("page read Content-Type %q, want application/json", got.ContentType)
			}
			if tt.page == e.app {
				checkCORSHeaders(t, trace, e.api+path, e.appOrigin)
			}
		})
	}
}

// checkCORSHeaders checks that the answer to the POST to url, as it came
// from the network, carried the route policy's CORS headers for origin,
// credentials included.
func checkCORSHeaders(t *testing.T, trace e2e.Trace, url, origin string) {
	t.Helper()
	for _, r := range trace.Requests {
		if r.Method != "POST" || r.URL != url {
			continue
		}
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("refusal's Access-Control-Allow-Origin = %q, want %q", got, origin)
		}
		if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("refusal's Access-Control-Allow-Credentials = %q, want \"true\"", got)
		}
		return
	}
	t.Errorf("DevTools saw no POST to %s", url)
}

// refusalsOf sums crossgate_csrf_refusals_total over every reason of route.
func (e *env) refusalsOf(t *testing.T, route string) float64 {
	t.Helper()
	sum := 0.0
	for _, reason := range csrf.Reasons() {
		sum += e.refusals(t, route, reason.String())
	}
	return sum
}

func testPreflights(t *testing.T, e *env) {
	tests := []struct {
		name        string
		page        string
		route, path string
		// wantStatus is the PUT's status as the page reads it, 0 when the
		// preflight failed; wantReason the CSRF refusal's reason.
		wantStatus int
		wantReason string
	}{
		{name: "preflighted PUT from the allowed origin passes a fetch-metadata route", page: e.app,
			route: "meta", path: "echo/put-meta", wantStatus: 200},
		{name: "preflight to a token route passes; the PUT without cookies is refused readably", page: e.app,
			route: "token", path: "echo/put-token", wantStatus: 403, wantReason: "cookie-missing"},
		{name: "preflight to a route in both modes passes; the PUT without cookies is refused readably", page: e.app,
			route: "both", path: "echo/put-both", wantStatus: 403, wantReason: "cookie-missing"},
		{name: "an attacker's preflight is CORS's to refuse, not CSRF's", page: e.evil,
			route: "meta", path: "echo/put-attacker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			path := "/" + tt.route + "/" + tt.path
			before := e.refusalsOf(t, tt.route)

			res, err := e.b.Fetch(ctx, tt.page, e2e.FetchRequest{
				URL: e.api + path, Method: "PUT", Body: "{}",
				Header: http.Header{"Content-Type": {"application/json"}},
			})
			if err != nil {
				t.Fatal(err)
			}

			if n := e.gw.Recorder.Count("OPTIONS", path); n != 1 {
				t.Fatalf("the gateway saw %d preflights, want 1", n)
			}
			preflights := res.Preflights()
			if len(preflights) != 1 {
				t.Fatalf("DevTools saw %d preflights, want 1", len(preflights))
			}
			if tt.wantStatus != 0 && (preflights[0].Status < 200 || preflights[0].Status > 299) {
				t.Errorf("preflight answered %d, want a 2xx", preflights[0].Status)
			}
			if res.Status != tt.wantStatus {
				t.Errorf("page read status %d (error %q, CORS error %q), want %d", res.Status, res.Error, res.CorsError, tt.wantStatus)
			}
			wantRefusals := 0.0
			if tt.wantReason != "" {
				wantRefusals = 1
				var refusal struct{ Error, Reason string }
				if err := json.Unmarshal([]byte(res.Body), &refusal); err != nil || refusal.Reason != tt.wantReason {
					t.Errorf("page read body %q, want the JSON refusal with reason %q", res.Body, tt.wantReason)
				}
			}
			// Only the PUT can have been refused by CSRF: the preflight never
			// reaches the check.
			if n := e.refusalsOf(t, tt.route) - before; n != wantRefusals {
				t.Errorf("CSRF refusals of route %s grew by %v, want %v", tt.route, n, wantRefusals)
			}
			wantUpstream := 0
			if tt.wantStatus == 200 {
				wantUpstream = 1
			}
			if n := e.up.Recorder.Count("PUT", path); n != wantUpstream {
				t.Errorf("the upstream received the PUT %d times, want %d", n, wantUpstream)
			}
		})
	}
}

// documentStatus returns the status of the answer to the form POST to url,
// as DevTools saw it from the page that submitted the form; 0 when none
// arrived. The page itself cannot read it when the answer is cross-origin.
func documentStatus(trace e2e.Trace, url string) int {
	for _, r := range trace.Requests {
		if r.Method == "POST" && r.URL == url && r.Type == "Document" {
			return r.Status
		}
	}
	return 0
}

// deref shows what the frame's text was, or that the page could not read
// it.
func deref(s *string) string {
	if s == nil {
		return "(unreadable)"
	}
	return *s
}

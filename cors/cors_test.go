package cors_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// handlerStatus is the status the wrapped handler answers with, so that a
// test can tell a request that reached it from a preflight the policy
// answered itself.
const handlerStatus = http.StatusTeapot

// nextHandler stands for the application behind the policy.
var nextHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(handlerStatus)
})

// webConfig is the policy of the README: credentials, exact and wildcard
// origins, a regex, methods, headers, expose headers and a max age.
var webConfig = cors.Config{
	AllowOrigins:     []string{"https://app.example.com", "https://*.example.com", "http://localhost:*"},
	AllowOriginRegex: []string{`https://pr-[0-9]+\.preview\.example\.org`},
	AllowMethods:     []string{"GET", "POST", "PUT", "DELETE"},
	AllowHeaders:     []string{"Content-Type", "Authorization"},
	ExposeHeaders:    []string{"X-Request-Id"},
	AllowCredentials: true,
	MaxAge:           2 * time.Hour,
}

// preflightVary is what every preflight answer from a policy without
// Private Network Access varies on.
const preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

// mustNew builds a policy from a config the test knows to be valid.
func mustNew(t testing.TB, cfg cors.Config) *cors.Policy {
	t.Helper()
	p, err := cors.New(cfg)
	if err != nil {
		t.Fatalf("cors.New: %v", err)
	}
	return p
}

// newRequest builds a request; header values given as "Name: value" lines
// are added in order, so a name given twice yields two header lines.
func newRequest(method string, lines ...string) *http.Request {
	r := httptest.NewRequest(method, "http://api.example.net/resource", nil)
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		r.Header.Add(name, strings.TrimPrefix(value, " "))
	}
	return r
}

// corsHeaders returns the response headers the CORS protocol is made of:
// Access-Control-*, Vary and Timing-Allow-Origin.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		if strings.HasPrefix(name, "Access-Control-") || name == "Vary" || name == "Timing-Allow-Origin" {
			out[name] = values
		}
	}
	return out
}

// serve runs r through the policy's Handler around nextHandler.
func serve(p *cors.Policy, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.Handler(nextHandler).ServeHTTP(w, r)
	return w
}

// exchangeCase is one request through a policy's Handler and the exact
// CORS headers and status expected back.
type exchangeCase struct {
	name       string
	cfg        cors.Config
	req        *http.Request
	wantStatus int
	// wantHeader is the complete set of CORS headers expected; any other
	// Access-Control-*, Vary or Timing-Allow-Origin header fails the case.
	wantHeader http.Header
}

func runExchanges(t *testing.T, cases []exchangeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			w := serve(p, tc.req)
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			got := corsHeaders(w.Header())
			if !reflect.DeepEqual(got, tc.wantHeader) {
				t.Errorf("CORS headers:\n got  %v\n want %v", got, tc.wantHeader)
			}
		})
	}
}

// allowedActual is what webConfig answers to an actual request from origin.
func allowedActual(origin string) http.Header {
	return http.Header{
		"Access-Control-Allow-Origin":      {origin},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Expose-Headers":    {"X-Request-Id"},
		"Vary":                             {"Origin"},
	}
}

// refusedActual is what any origin-dependent policy answers to an actual
// request it refuses, or to a request without Origin.
var refusedActual = http.Header{"Vary": {"Origin"}}

func TestOriginMatching(t *testing.T) {
	exact := cors.Config{AllowOrigins: []string{"https://app.example.com"}}
	fewExact := cors.Config{AllowOrigins: []string{"https://a.example.com", "https://b.example.com:8443", "http://localhost:3000"}}
	manyExact := cors.Config{AllowOrigins: []string{
		"https://a.example.com", "https://b.example.com", "https://c.example.com",
		"https://d.example.com", "https://e.example.com", "https://f.example.com",
	}}
	wildcard := cors.Config{AllowOrigins: []string{"https://*.example.com"}}
	wildcardPort := cors.Config{AllowOrigins: []string{"https://*.example.com:8443"}}
	anyPort := cors.Config{AllowOrigins: []string{"http://localhost:*"}}
	wildcardAnyPort := cors.Config{AllowOrigins: []string{"https://*.example.com:*"}}
	ipv6 := cors.Config{AllowOrigins: []string{"http://[::1]:8080"}}
	null := cors.Config{AllowOrigins: []string{"null"}}
	regex := cors.Config{AllowOriginRegex: []string{`https://app\.example\.com`}}
	regexAlt := cors.Config{AllowOriginRegex: []string{`https://a\.example\.com|https://b\.example\.com`}}
	regexPR := cors.Config{AllowOriginRegex: []string{`https://pr-[0-9]+\.preview\.example\.com`}}
	regexAnyCredentialed := cors.Config{AllowOriginRegex: []string{`https://[a-z]+`}, AllowCredentials: true}
	regexAny := cors.Config{AllowOriginRegex: []string{`.*`}}

	cases := []struct {
		name   string
		cfg    cors.Config
		origin string
		allow  bool
	}{
		{"regex/null never matches a regex", regexAny, "null", false},
		{"regex/non-canonical origin never matches a regex", regexAny, "https://APP.example.com", false},
		{"regex/credentialed regex matches a canonical origin", regexAnyCredentialed, "https://app", true},
		{"regex/credentialed regex never matches null", regexAnyCredentialed, "null", false},
		{"exact/same", exact, "https://app.example.com", true},
		{"exact/other host", exact, "https://api.example.com", false},
		{"exact/other scheme", exact, "http://app.example.com", false},
		{"exact/extra port", exact, "https://app.example.com:8443", false},
		{"exact/explicit default port", exact, "https://app.example.com:443", false},
		{"exact/upper case", exact, "https://APP.example.com", false},
		{"exact/trailing slash", exact, "https://app.example.com/", false},
		{"exact/with path", exact, "https://app.example.com/x", false},
		{"exact/prefix", exact, "https://app.example.co", false},
		{"exact/suffix appended", exact, "https://app.example.com.evil.com", false},
		{"exact/userinfo", exact, "https://user@app.example.com", false},
		{"exact/trailing dot", exact, "https://app.example.com.", false},
		{"exact/empty", exact, "", false},
		{"few exact/first", fewExact, "https://a.example.com", true},
		{"few exact/last", fewExact, "http://localhost:3000", true},
		{"few exact/same length, other host", fewExact, "https://c.example.com", false},
		{"few exact/upper case", fewExact, "https://A.example.com", false},
		{"few exact/port of another", fewExact, "https://a.example.com:8443", false},
		{"many exact/last", manyExact, "https://f.example.com", true},
		{"many exact/trailing slash", manyExact, "https://f.example.com/", false},
		{"many exact/upper case", manyExact, "https://F.example.com", false},

		{"wildcard/one label", wildcard, "https://a.example.com", true},
		{"wildcard/two labels", wildcard, "https://a.b.example.com", true},
		{"wildcard/apex", wildcard, "https://example.com", false},
		{"wildcard/no dot boundary", wildcard, "https://evilexample.com", false},
		{"wildcard/suffix appended", wildcard, "https://example.com.evil.com", false},
		{"wildcard/subdomain with suffix appended", wildcard, "https://a.example.com.evil.com", false},
		{"wildcard/other scheme", wildcard, "http://a.example.com", false},
		{"wildcard/port", wildcard, "https://a.example.com:8443", false},
		{"wildcard/empty label", wildcard, "https://.example.com", false},
		{"wildcard/upper case", wildcard, "https://A.example.com", false},
		{"wildcard with port/same port", wildcardPort, "https://a.example.com:8443", true},
		{"wildcard with port/no port", wildcardPort, "https://a.example.com", false},
		{"wildcard with port/other port", wildcardPort, "https://a.example.com:9443", false},
		{"wildcard any port/port", wildcardAnyPort, "https://a.b.example.com:1234", true},
		{"wildcard any port/no port", wildcardAnyPort, "https://a.example.com", true},
		{"wildcard any port/apex", wildcardAnyPort, "https://example.com:1234", false},

		{"any port/no port", anyPort, "http://localhost", true},
		{"any port/port", anyPort, "http://localhost:3000", true},
		{"any port/highest port", anyPort, "http://localhost:65535", true},
		{"any port/other scheme", anyPort, "https://localhost:3000", false},
		{"any port/longer host", anyPort, "http://localhostx:3000", false},
		{"any port/subdomain of host", anyPort, "http://a.localhost:3000", false},
		{"any port/host as subdomain", anyPort, "http://localhost.evil.com:3000", false},
		{"any port/port out of range", anyPort, "http://localhost:65536", false},
		{"any port/leading zero", anyPort, "http://localhost:03000", false},
		{"any port/empty port", anyPort, "http://localhost:", false},

		{"ipv6/same", ipv6, "http://[::1]:8080", true},
		{"ipv6/other port", ipv6, "http://[::1]:8081", false},

		{"null listed/null", null, "null", true},
		{"null listed/other", null, "https://app.example.com", false},
		{"null not listed/null", exact, "null", false},
		{"null not listed by wildcard/null", wildcard, "null", false},
		{"null not listed by any port/null", anyPort, "null", false},

		{"regex/whole origin", regex, "https://app.example.com", true},
		{"regex/suffix appended", regex, "https://app.example.com.evil.com", false},
		{"regex/prefix prepended", regex, "https://xhttps://app.example.com", false},
		{"regex/escaped dot", regex, "https://appxexample.com", false},
		{"regex alternation/first", regexAlt, "https://a.example.com", true},
		{"regex alternation/second", regexAlt, "https://b.example.com", true},
		{"regex alternation/first with suffix", regexAlt, "https://a.example.com.evil.com", false},
		{"regex alternation/second with prefix", regexAlt, "https://evil.com/https://b.example.com", false},
		{"regex/class", regexPR, "https://pr-1234.preview.example.com", true},
		{"regex/class mismatch", regexPR, "https://pr-x.preview.example.com", false},
		{"regex/too long", regexPR, "https://pr-" + strings.Repeat("1", 400) + ".preview.example.com", false},

		{"readme/exact", webConfig, "https://app.example.com", true},
		{"readme/wildcard", webConfig, "https://a.b.example.com", true},
		{"readme/loopback any port", webConfig, "http://localhost:5173", true},
		{"readme/regex", webConfig, "https://pr-7.preview.example.org", true},
		{"readme/apex", webConfig, "https://example.com", false},
		{"readme/null", webConfig, "null", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			w := serve(p, newRequest("GET", "Origin: "+tc.origin))
			got := w.Header().Values("Access-Control-Allow-Origin")
			switch {
			case tc.allow && (len(got) != 1 || got[0] != tc.origin):
				t.Errorf("Access-Control-Allow-Origin = %q, want exactly [%q]", got, tc.origin)
			case !tc.allow && len(got) != 0:
				t.Errorf("Access-Control-Allow-Origin = %q, want none", got)
			}
			if vary := w.Header().Values("Vary"); !reflect.DeepEqual(vary, []string{"Origin"}) {
				t.Errorf("Vary = %q, want [Origin]", vary)
			}
			if w.Code != handlerStatus {
				t.Errorf("status = %d: the request did not reach the handler", w.Code)
			}
			d := p.Decide(newRequest("GET", "Origin: "+tc.origin))
			if d.Allowed != tc.allow {
				t.Errorf("Decide: Allowed = %v, want %v (reason %v)", d.Allowed, tc.allow, d.Reason)
			}
		})
	}
}

func TestActualRequests(t *testing.T) {
	anyOrigin := cors.Config{AllowOrigins: []string{"*"}, ExposeHeaders: []string{"X-Request-Id"}}
	runExchanges(t, []exchangeCase{
		{
			name:       "allowed origin gets exactly one ACAO equal to it",
			cfg:        webConfig,
			req:        newRequest("GET", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: allowedActual("https://app.example.com"),
		},
		{
			name:       "allowed origin on an unsafe method",
			cfg:        webConfig,
			req:        newRequest("DELETE", "Origin: https://a.example.com"),
			wantStatus: handlerStatus,
			wantHeader: allowedActual("https://a.example.com"),
		},
		{
			name:       "refused origin reaches the handler with Vary only",
			cfg:        webConfig,
			req:        newRequest("GET", "Origin: https://evil.com"),
			wantStatus: handlerStatus,
			wantHeader: refusedActual,
		},
		{
			name:       "no Origin still varies on Origin",
			cfg:        webConfig,
			req:        newRequest("GET"),
			wantStatus: handlerStatus,
			wantHeader: refusedActual,
		},
		{
			name:       "two Origin lines are refused",
			cfg:        webConfig,
			req:        newRequest("GET", "Origin: https://app.example.com", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: refusedActual,
		},
		{
			name:       "OPTIONS without Access-Control-Request-Method is an actual request",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Headers: content-type"),
			wantStatus: handlerStatus,
			wantHeader: allowedActual("https://app.example.com"),
		},
		{
			name:       "OPTIONS without Origin reaches the handler",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", "Access-Control-Request-Method: PUT"),
			wantStatus: handlerStatus,
			wantHeader: refusedActual,
		},
		{
			name:       "without credentials there is no ACAC",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}},
			req:        newRequest("GET", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Vary": {"Origin"}},
		},
		{
			name:       "static * sends * and no Vary",
			cfg:        anyOrigin,
			req:        newRequest("GET", "Origin: https://anything.example"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"X-Request-Id"}},
		},
		{
			name:       "static * answers requests without Origin the same way",
			cfg:        anyOrigin,
			req:        newRequest("GET"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"X-Request-Id"}},
		},
		{
			name:       "static * with Timing-Allow-Origin",
			cfg:        cors.Config{AllowOrigins: []string{"*"}, TimingAllowOrigin: true},
			req:        newRequest("GET", "Origin: https://anything.example"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"*"}, "Timing-Allow-Origin": {"*"}},
		},
		{
			name:       "expose * without credentials",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"*"}},
			req:        newRequest("GET", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Expose-Headers": {"*"}, "Vary": {"Origin"}},
		},
		{
			name:       "several expose headers, duplicates in any case dropped",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"X-Request-Id", "ETag", "x-request-id"}},
			req:        newRequest("GET", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Expose-Headers": {"X-Request-Id, ETag"}, "Vary": {"Origin"}},
		},
		{
			name:       "Timing-Allow-Origin echoes the allowed origin",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}, TimingAllowOrigin: true},
			req:        newRequest("GET", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Timing-Allow-Origin": {"https://app.example.com"}, "Vary": {"Origin"}},
		},
		{
			name:       "Timing-Allow-Origin is not sent to a refused origin",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}, TimingAllowOrigin: true},
			req:        newRequest("GET", "Origin: https://evil.com"),
			wantStatus: handlerStatus,
			wantHeader: refusedActual,
		},
		{
			name:       "null listed is echoed",
			cfg:        cors.Config{AllowOrigins: []string{"null"}},
			req:        newRequest("POST", "Origin: null"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"null"}, "Vary": {"Origin"}},
		},
		{
			name:       "max age and methods are not sent on actual requests",
			cfg:        cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}, AllowHeaders: []string{"X-Foo"}, MaxAge: time.Hour},
			req:        newRequest("PUT", "Origin: https://app.example.com"),
			wantStatus: handlerStatus,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Vary": {"Origin"}},
		},
	})
}

// allowedPreflight is what webConfig answers to an accepted preflight from
// origin, whatever method and headers it asked for: the policy's whole
// lists, which browsers cache.
func allowedPreflight(origin string) http.Header {
	return http.Header{
		"Access-Control-Allow-Origin":      {origin},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Allow-Methods":     {"GET, POST, PUT, DELETE"},
		"Access-Control-Allow-Headers":     {"Content-Type, Authorization"},
		"Access-Control-Expose-Headers":    {"X-Request-Id"},
		"Access-Control-Max-Age":           {"7200"},
		"Vary":                             {preflightVary},
	}
}

// refusedPreflight is every refused preflight's answer: Vary and nothing
// that allows anything.
var refusedPreflight = http.Header{"Vary": {preflightVary}}

func TestPreflights(t *testing.T) {
	const o = "Origin: https://app.example.com"
	single := func(mod func(*cors.Config)) cors.Config {
		c := cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}}
		mod(&c)
		return c
	}
	runExchanges(t, []exchangeCase{
		{
			name:       "accepted preflight is 204 with the policy's whole lists",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: authorization,content-type"),
			wantStatus: http.StatusNoContent,
			wantHeader: allowedPreflight("https://app.example.com"),
		},
		{
			name:       "accepted preflight without request headers",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", "Origin: https://a.b.example.com", "Access-Control-Request-Method: DELETE"),
			wantStatus: http.StatusNoContent,
			wantHeader: allowedPreflight("https://a.b.example.com"),
		},
		{
			name:       "PreflightStatus 200",
			cfg:        single(func(c *cors.Config) { c.PreflightStatus = 200 }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusOK,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Vary": {preflightVary}},
		},
		{
			name:       "refused origin gets 403 and no Access-Control-Allow-*",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", "Origin: https://evil.com", "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "refused method gets 403 and no Access-Control-Allow-*",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PATCH"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "methods are case sensitive: put is not PUT",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: put"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "a method listed in lower case matches only lower case",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = []string{"patch"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: patch"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"patch"}, "Vary": {preflightVary}},
		},
		{
			name: "one of many listed methods",
			cfg: single(func(c *cors.Config) {
				c.AllowMethods = []string{"PUT", "DELETE", "PATCH", "PURGE", "LINK", "UNLINK", "COPY", "MOVE", "LOCK", "UNLOCK"}
			}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: UNLOCK"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT, DELETE, PATCH, PURGE, LINK, UNLINK, COPY, MOVE, LOCK, UNLOCK"}, "Vary": {preflightVary}},
		},
		{
			name: "many listed methods are still case sensitive",
			cfg: single(func(c *cors.Config) {
				c.AllowMethods = []string{"PUT", "DELETE", "PATCH", "PURGE", "LINK", "UNLINK", "COPY", "MOVE", "LOCK", "UNLOCK"}
			}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: unlock"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "GET is always allowed, and the answer lists the policy's methods",
			cfg:        single(func(c *cors.Config) {}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: GET"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Vary": {preflightVary}},
		},
		{
			name:       "HEAD is always allowed",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = nil }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: HEAD"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"HEAD"}, "Vary": {preflightVary}},
		},
		{
			name:       "POST is always allowed",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = nil }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: POST"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"POST"}, "Vary": {preflightVary}},
		},
		{
			name:       "POST with a header not allowed",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = nil }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: x-foo"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "POST with an allowed header",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = nil; c.AllowHeaders = []string{"X-Foo"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: x-foo"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"POST"}, "Access-Control-Allow-Headers": {"X-Foo"}, "Vary": {preflightVary}},
		},
		{
			name:       "methods * allows any method",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = []string{"*"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PURGE"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"*"}, "Vary": {preflightVary}},
		},
		{
			name:       "malformed method",
			cfg:        single(func(c *cors.Config) { c.AllowMethods = []string{"*"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PU T"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "empty method",
			cfg:        single(func(c *cors.Config) {}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: "),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "headers * does not cover Authorization",
			cfg:        single(func(c *cors.Config) { c.AllowHeaders = []string{"*"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: authorization"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "headers * does not cover Authorization among others",
			cfg:        single(func(c *cors.Config) { c.AllowHeaders = []string{"*"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x-a,authorization,x-b"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "headers * covers any other header",
			cfg:        single(func(c *cors.Config) { c.AllowHeaders = []string{"*"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x-anything,content-type"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Allow-Headers": {"*"}, "Vary": {preflightVary}},
		},
		{
			name:       "headers * with Authorization listed covers Authorization",
			cfg:        single(func(c *cors.Config) { c.AllowHeaders = []string{"*", "Authorization"} }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: authorization,x-anything"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Allow-Headers": {"*, Authorization"}, "Vary": {preflightVary}},
		},
		{
			name:       "header not listed",
			cfg:        webConfig,
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type,x-foo"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "max age 0 omits the header",
			cfg:        single(func(c *cors.Config) { c.MaxAge = 0 }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Vary": {preflightVary}},
		},
		{
			name:       "max age -1s sends 0",
			cfg:        single(func(c *cors.Config) { c.MaxAge = -time.Second }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Max-Age": {"0"}, "Vary": {preflightVary}},
		},
		{
			name:       "max age 2h sends 7200",
			cfg:        single(func(c *cors.Config) { c.MaxAge = 2 * time.Hour }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Max-Age": {"7200"}, "Vary": {preflightVary}},
		},
		{
			name:       "max age 24h sends 86400",
			cfg:        single(func(c *cors.Config) { c.MaxAge = 24 * time.Hour }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Max-Age": {"86400"}, "Vary": {preflightVary}},
		},
		{
			name:       "private network allowed",
			cfg:        single(func(c *cors.Config) { c.AllowPrivateNetwork = true }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Private-Network: true"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":          {"https://app.example.com"},
				"Access-Control-Allow-Methods":         {"PUT"},
				"Access-Control-Allow-Private-Network": {"true"},
				"Vary":                                 {preflightVary + ", Access-Control-Request-Private-Network"},
			},
		},
		{
			name:       "private network allowed but not asked for",
			cfg:        single(func(c *cors.Config) { c.AllowPrivateNetwork = true }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":  {"https://app.example.com"},
				"Access-Control-Allow-Methods": {"PUT"},
				"Vary":                         {preflightVary + ", Access-Control-Request-Private-Network"},
			},
		},
		{
			name:       "private network not allowed",
			cfg:        single(func(c *cors.Config) {}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Private-Network: true"),
			wantStatus: http.StatusForbidden,
			wantHeader: refusedPreflight,
		},
		{
			name:       "private network with static * echoes the origin",
			cfg:        cors.Config{AllowOrigins: []string{"*"}, AllowPrivateNetwork: true},
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: GET", "Access-Control-Request-Private-Network: true"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":          {"https://app.example.com"},
				"Access-Control-Allow-Methods":         {"GET"},
				"Access-Control-Allow-Private-Network": {"true"},
				"Vary":                                 {preflightVary + ", Access-Control-Request-Private-Network"},
			},
		},
		{
			name:       "static * preflight answers *",
			cfg:        cors.Config{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}},
			req:        newRequest("OPTIONS", "Origin: https://anything.example", "Access-Control-Request-Method: PATCH", "Access-Control-Request-Headers: x-foo"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":  {"*"},
				"Access-Control-Allow-Methods": {"*"},
				"Access-Control-Allow-Headers": {"*"},
				"Vary":                         {preflightVary},
			},
		},
		{
			name:       "preflight sends expose headers, as the Gateway API asks, but not Timing-Allow-Origin",
			cfg:        single(func(c *cors.Config) { c.ExposeHeaders = []string{"X-Request-Id"}; c.TimingAllowOrigin = true }),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT"}, "Access-Control-Expose-Headers": {"X-Request-Id"}, "Vary": {preflightVary}},
		},
		{
			name: "methods and headers are listed once each, as written",
			cfg: single(func(c *cors.Config) {
				c.AllowMethods = []string{"PUT", "DELETE", "PUT"}
				c.AllowHeaders = []string{"X-Foo", "content-type", "x-foo"}
			}),
			req:        newRequest("OPTIONS", o, "Access-Control-Request-Method: DELETE"),
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{"Access-Control-Allow-Origin": {"https://app.example.com"}, "Access-Control-Allow-Methods": {"PUT, DELETE"}, "Access-Control-Allow-Headers": {"X-Foo, content-type"}, "Vary": {preflightVary}},
		},
	})
}

func TestRequestHeaderForms(t *testing.T) {
	cfg := cors.Config{
		AllowOrigins: []string{"https://app.example.com"},
		AllowMethods: []string{"PUT"},
		AllowHeaders: []string{"Content-Type", "X-Foo", "Authorization"},
	}
	p := mustNew(t, cfg)
	many := func(n int, name string) string {
		return strings.TrimSuffix(strings.Repeat(name+",", n), ",")
	}
	cases := []struct {
		name   string
		lines  []string
		reason string
	}{
		{"browser form", []string{"content-type,x-foo"}, "allowed"},
		{"browser form with authorization", []string{"authorization,content-type,x-foo"}, "allowed"},
		{"human form", []string{"X-Foo, Content-Type"}, "allowed"},
		{"mixed case", []string{"x-FOO,CONTENT-type"}, "allowed"},
		{"spaces and tabs", []string{" \tx-foo \t,\t content-type\t "}, "allowed"},
		{"several lines", []string{"X-Foo", "content-type"}, "allowed"},
		{"several lines with lists", []string{"x-foo, content-type", "Authorization"}, "allowed"},
		{"empty value", []string{""}, "allowed"},
		{"empty elements", []string{",x-foo,,content-type,"}, "allowed"},
		{"repeated name", []string{"x-foo,x-foo,X-FOO"}, "allowed"},
		{"one name not allowed", []string{"content-type,x-bar,x-foo"}, "headers-not-allowed"},
		{"not allowed on a later line", []string{"x-foo", "x-bar"}, "headers-not-allowed"},
		{"prefix of an allowed name", []string{"x-fo"}, "headers-not-allowed"},
		{"allowed name with a suffix", []string{"x-fooo"}, "headers-not-allowed"},
		{"space inside a name", []string{"x foo"}, "headers-malformed"},
		{"semicolon", []string{"x;y"}, "headers-malformed"},
		{"non-ASCII", []string{"x-f\u00f6o"}, "headers-malformed"},
		{"quoted", []string{`"x-foo"`}, "headers-malformed"},
		{"1,024 commas", []string{strings.Repeat(",", 1024)}, "headers-too-large"},
		{"1 MB value", []string{strings.Repeat("x", 1<<20)}, "headers-too-large"},
		{"10,000 names", []string{many(10000, "x-foo")}, "headers-too-large"},
		{"10,000 lines", slicesRepeat("x-foo", 10000), "headers-too-large"},
		{"a 1,000-byte name", []string{strings.Repeat("x", 1000)}, "headers-not-allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT")
			r.Header["Access-Control-Request-Headers"] = tc.lines
			d := p.Decide(r)
			if got := d.Reason.String(); got != tc.reason {
				t.Fatalf("reason = %q, want %q (detail %q)", got, tc.reason, d.Detail)
			}
			w := serve(p, r)
			if tc.reason == "allowed" {
				if w.Code != http.StatusNoContent {
					t.Errorf("status = %d, want 204", w.Code)
				}
				if got, want := w.Header()["Access-Control-Allow-Headers"], []string{"Content-Type, X-Foo, Authorization"}; !reflect.DeepEqual(got, want) {
					t.Errorf("Access-Control-Allow-Headers = %q, want the policy's list %q", got, want)
				}
				return
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", w.Code)
			}
			for name := range w.Header() {
				if strings.HasPrefix(name, "Access-Control-Allow-") {
					t.Errorf("refused preflight carries %s", name)
				}
			}
		})
	}
}

// slicesRepeat returns n copies of s.
func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// resettableWriter is a ResponseWriter that a benchmark-style loop can
// reuse: its header map is cleared between requests, as a server does.
type resettableWriter struct {
	h      http.Header
	status int
}

func (w *resettableWriter) Header() http.Header         { return w.h }
func (w *resettableWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *resettableWriter) WriteHeader(status int)      { w.status = status }

func TestDecisionPathAllocatesNothing(t *testing.T) {
	p := mustNew(t, webConfig)
	preflight := func(acrh ...string) *http.Request {
		r := newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT")
		if acrh != nil {
			r.Header["Access-Control-Request-Headers"] = acrh
		}
		return r
	}
	cases := []struct {
		name       string
		req        *http.Request
		wantStatus int
	}{
		{"preflight/allowed", preflight("authorization,content-type"), http.StatusNoContent},
		{"preflight/human form", preflight("Content-Type, Authorization", "content-type"), http.StatusNoContent},
		{"preflight/1,024 commas", preflight(strings.Repeat(",", 1024)), http.StatusForbidden},
		{"preflight/1 MB value", preflight(strings.Repeat("a", 1<<20)), http.StatusForbidden},
		{"preflight/10,000 names", preflight(strings.Repeat("x-foo,", 9999) + "x-foo"), http.StatusForbidden},
		{"preflight/malformed", preflight("x foo"), http.StatusForbidden},
		{"preflight/upper-case name not allowed", preflight("X-NOT-ALLOWED-HEADER"), http.StatusForbidden},
		{"preflight/disallowed origin", newRequest("OPTIONS", "Origin: https://evil.com", "Access-Control-Request-Method: PUT"), http.StatusForbidden},
		{"actual/allowed", newRequest("GET", "Origin: https://a.b.example.com"), handlerStatus},
		{"actual/regex", newRequest("GET", "Origin: https://pr-42.preview.example.org"), handlerStatus},
		{"actual/disallowed origin", newRequest("GET", "Origin: https://evil.com"), handlerStatus},
		{"actual/malformed origin", newRequest("GET", "Origin: "+strings.Repeat("h", 1<<16)), handlerStatus},
		{"none/no origin", newRequest("GET"), handlerStatus},
	}
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocation counts are meaningless")
	}
	h := p.Handler(nextHandler)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { _ = p.Decide(tc.req) }); n != 0 {
				t.Errorf("Decide allocates %v times per request, want 0", n)
			}
			w := &resettableWriter{h: http.Header{}}
			n := testing.AllocsPerRun(100, func() {
				clear(w.h)
				h.ServeHTTP(w, tc.req)
			})
			if n != 0 {
				t.Errorf("Handler allocates %v times per request on average, want 0", n)
			}
			if w.status != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.status, tc.wantStatus)
			}
		})
	}
}

func TestVary(t *testing.T) {
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Accept-Encoding")
			next.ServeHTTP(w, r)
		})
	}
	addsVary := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language")
		w.WriteHeader(handlerStatus)
	})
	anyOrigin := cors.Config{AllowOrigins: []string{"*"}}
	single := cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}}
	cases := []struct {
		name  string
		cfg   cors.Config
		outer bool
		inner http.Handler
		req   *http.Request
		want  []string
	}{
		{"allowed/outer middleware's Vary kept", single, true, nextHandler,
			newRequest("GET", "Origin: https://app.example.com"), []string{"Accept-Encoding", "Origin"}},
		{"refused/outer middleware's Vary kept", single, true, nextHandler,
			newRequest("GET", "Origin: https://evil.com"), []string{"Accept-Encoding", "Origin"}},
		{"no origin/outer middleware's Vary kept", single, true, nextHandler,
			newRequest("GET"), []string{"Accept-Encoding", "Origin"}},
		{"preflight/outer middleware's Vary kept", single, true, nextHandler,
			newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT"), []string{"Accept-Encoding", preflightVary}},
		{"refused preflight/outer middleware's Vary kept", single, true, nextHandler,
			newRequest("OPTIONS", "Origin: https://evil.com", "Access-Control-Request-Method: PUT"), []string{"Accept-Encoding", preflightVary}},
		{"allowed/handler adds its own Vary", single, false, addsVary,
			newRequest("GET", "Origin: https://app.example.com"), []string{"Origin", "Accept-Language"}},
		{"allowed/outer and handler Vary", single, true, addsVary,
			newRequest("GET", "Origin: https://app.example.com"), []string{"Accept-Encoding", "Origin", "Accept-Language"}},
		{"static */no Vary", anyOrigin, false, nextHandler,
			newRequest("GET", "Origin: https://app.example.com"), nil},
		{"static */no origin/no Vary", anyOrigin, false, nextHandler,
			newRequest("GET"), nil},
		{"static */outer middleware's Vary untouched", anyOrigin, true, nextHandler,
			newRequest("GET", "Origin: https://app.example.com"), []string{"Accept-Encoding"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := mustNew(t, tc.cfg).Handler(tc.inner)
			if tc.outer {
				h = outer(h)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			if got := w.Header()["Vary"]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Vary = %q, want %q", got, tc.want)
			}
		})
	}

	existing := []struct {
		name string
		vary []string
		want []string
	}{
		{"Origin already listed", []string{"Origin"}, []string{"Origin"}},
		{"origin in another case", []string{"origin"}, []string{"origin"}},
		{"Origin within a list", []string{"Accept-Encoding, Origin"}, []string{"Accept-Encoding, Origin"}},
		{"Vary *", []string{"*"}, []string{"*"}},
		{"other name containing Origin", []string{"X-Origin"}, []string{"X-Origin", "Origin"}},
	}
	p := mustNew(t, single)
	t.Run("existing/preflight adds the names Vary lacks", func(t *testing.T) {
		h := http.Header{"Vary": {"Origin"}}
		d := p.Decide(newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT"))
		d.Apply(h)
		want := []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
		if got := h["Vary"]; !reflect.DeepEqual(got, want) {
			t.Errorf("Vary = %q, want %q", got, want)
		}
	})
	for _, tc := range existing {
		t.Run("existing/"+tc.name, func(t *testing.T) {
			h := http.Header{"Vary": append([]string(nil), tc.vary...)}
			d := p.Decide(newRequest("GET", "Origin: https://app.example.com"))
			d.Apply(h)
			if got := h["Vary"]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Vary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	p := mustNew(t, cors.Config{
		AllowOrigins: []string{"https://app.example.com"},
		AllowMethods: []string{"PUT"},
		AllowHeaders: []string{"X-Foo"},
		MaxAge:       time.Hour,
	})
	const o = "Origin: https://app.example.com"
	cases := []struct {
		name       string
		req        *http.Request
		wantKind   cors.Kind
		wantKindS  string
		wantOK     bool
		wantReason string
		wantDetail string
		wantStatus int
	}{
		{"no origin", newRequest("GET"), cors.NotCORS, "none", false, "no-origin", "", 0},
		{"OPTIONS with ACRM and no origin", newRequest("OPTIONS", "Access-Control-Request-Method: PUT"), cors.NotCORS, "none", false, "no-origin", "", 0},
		{"actual allowed", newRequest("GET", o), cors.Actual, "actual", true, "allowed", "", 0},
		{"actual refused", newRequest("GET", "Origin: https://evil.com"), cors.Actual, "actual", false, "origin-not-allowed", "", 0},
		{"actual malformed origin", newRequest("GET", "Origin: https://app.example.com/"), cors.Actual, "actual", false, "origin-malformed", "", 0},
		{"actual two origins", newRequest("GET", o, o), cors.Actual, "actual", false, "origin-malformed", "", 0},
		{"OPTIONS without ACRM", newRequest("OPTIONS", o), cors.Actual, "actual", true, "allowed", "", 0},
		{"preflight allowed", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x-foo"), cors.Preflight, "preflight", true, "allowed", "", 204},
		{"preflight origin refused", newRequest("OPTIONS", "Origin: https://evil.com", "Access-Control-Request-Method: PUT"), cors.Preflight, "preflight", false, "origin-not-allowed", "", 403},
		{"preflight origin malformed", newRequest("OPTIONS", "Origin: HTTPS://APP.EXAMPLE.COM", "Access-Control-Request-Method: PUT"), cors.Preflight, "preflight", false, "origin-malformed", "", 403},
		{"preflight method refused", newRequest("OPTIONS", o, "Access-Control-Request-Method: DELETE"), cors.Preflight, "preflight", false, "method-not-allowed", "DELETE", 403},
		{"preflight method malformed", newRequest("OPTIONS", o, "Access-Control-Request-Method: P(T"), cors.Preflight, "preflight", false, "method-malformed", "", 403},
		{"preflight two methods", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Method: PUT"), cors.Preflight, "preflight", false, "method-malformed", "", 403},
		{"preflight header refused", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x-foo, X-Bar"), cors.Preflight, "preflight", false, "headers-not-allowed", "X-Bar", 403},
		{"preflight headers malformed", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: x;y"), cors.Preflight, "preflight", false, "headers-malformed", "", 403},
		{"preflight headers too large", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: "+strings.Repeat(",", 1024)), cors.Preflight, "preflight", false, "headers-too-large", "", 403},
		{"preflight private network", newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Private-Network: true"), cors.Preflight, "preflight", false, "private-network-not-allowed", "", 403},
	}
	h := p.Handler(nextHandler)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Decide(tc.req)
			if d.Kind != tc.wantKind || d.Kind.String() != tc.wantKindS {
				t.Errorf("Kind = %v, want %v", d.Kind, tc.wantKindS)
			}
			if d.Allowed != tc.wantOK {
				t.Errorf("Allowed = %v, want %v", d.Allowed, tc.wantOK)
			}
			if d.Reason.String() != tc.wantReason {
				t.Errorf("Reason = %v, want %v", d.Reason, tc.wantReason)
			}
			if d.Detail != tc.wantDetail {
				t.Errorf("Detail = %q, want %q", d.Detail, tc.wantDetail)
			}
			if d.Status != tc.wantStatus {
				t.Errorf("Status = %d, want %d", d.Status, tc.wantStatus)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			if got, want := corsHeaders(w.Header()), d.Header(); !reflect.DeepEqual(got, want) {
				t.Errorf("Handler wrote %v, Decide's Header() is %v", got, want)
			}
			wantCode := tc.wantStatus
			if tc.wantKind != cors.Preflight {
				wantCode = handlerStatus
			}
			if w.Code != wantCode {
				t.Errorf("Handler status = %d, want %d", w.Code, wantCode)
			}
		})
	}
}

func TestReasonNames(t *testing.T) {
	want := []string{
		"no-origin", "allowed", "origin-not-allowed", "origin-malformed",
		"method-not-allowed", "method-malformed", "headers-not-allowed",
		"headers-malformed", "headers-too-large", "private-network-not-allowed",
	}
	var got []string
	for _, r := range cors.Reasons() {
		got = append(got, r.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Reasons() = %q, want %q", got, want)
	}
	named := map[cors.Reason]string{
		cors.ReasonNoOrigin:                 "no-origin",
		cors.ReasonAllowed:                  "allowed",
		cors.ReasonOriginNotAllowed:         "origin-not-allowed",
		cors.ReasonOriginMalformed:          "origin-malformed",
		cors.ReasonMethodNotAllowed:         "method-not-allowed",
		cors.ReasonMethodMalformed:          "method-malformed",
		cors.ReasonHeadersNotAllowed:        "headers-not-allowed",
		cors.ReasonHeadersMalformed:         "headers-malformed",
		cors.ReasonHeadersTooLarge:          "headers-too-large",
		cors.ReasonPrivateNetworkNotAllowed: "private-network-not-allowed",
	}
	for r, s := range named {
		if r.String() != s {
			t.Errorf("%d.String() = %q, want %q", r, r.String(), s)
		}
	}
}

func TestPolicyReplacesStaleCORSHeaders(t *testing.T) {
	// An outer layer (a cache, a framework default) set CORS headers of its
	// own; the policy's answer must replace them, never add a second value.
	stale := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "https://stale.example.com")
			w.Header().Set("Access-Control-Allow-Credentials", "false")
			w.Header().Set("Access-Control-Expose-Headers", "X-Stale")
			w.Header().Set("Access-Control-Allow-Methods", "DELETE")
			next.ServeHTTP(w, r)
		})
	}
	cases := []struct {
		name       string
		req        *http.Request
		wantStatus int
		want       http.Header
	}{
		{"actual", newRequest("GET", "Origin: https://app.example.com"), handlerStatus, allowedActual("https://app.example.com")},
		{"preflight", newRequest("OPTIONS", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT"),
			http.StatusNoContent, allowedPreflight("https://app.example.com")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			stale(mustNew(t, webConfig).Handler(nextHandler)).ServeHTTP(w, tc.req)
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			got := corsHeaders(w.Header())
			for name, want := range tc.want {
				if !reflect.DeepEqual(got[name], want) {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
		})
	}
}

// TestHandlerWritesWhatDecideSays checks that the middleware, whatever path
// it takes, writes exactly what Decide and Apply write for the same request
// onto the same response headers, and answers preflights with the
// decision's status.
func TestHandlerWritesWhatDecideSays(t *testing.T) {
	configs := map[string]cors.Config{
		"readme": webConfig,
		"plain":  {AllowOrigins: []string{"https://app.example.com"}},
		"timing": {
			AllowOrigins:      []string{"https://app.example.com", "https://*.example.com"},
			ExposeHeaders:     []string{"X-Request-Id", "ETag"},
			TimingAllowOrigin: true,
		},
		"null":       {AllowOrigins: []string{"null", "https://app.example.com"}},
		"static any": {AllowOrigins: []string{"*"}, ExposeHeaders: []string{"X-Request-Id"}, TimingAllowOrigin: true},
	}
	const o = "Origin: https://app.example.com"
	requests := map[string]func() *http.Request{
		"GET without Origin":     func() *http.Request { return newRequest("GET") },
		"GET allowed":            func() *http.Request { return newRequest("GET", o) },
		"POST allowed":           func() *http.Request { return newRequest("POST", o) },
		"GET allowed subdomain":  func() *http.Request { return newRequest("GET", "Origin: https://a.b.example.com") },
		"GET allowed by regex":   func() *http.Request { return newRequest("GET", "Origin: https://pr-7.preview.example.org") },
		"GET any port":           func() *http.Request { return newRequest("GET", "Origin: http://localhost:5173") },
		"GET refused":            func() *http.Request { return newRequest("GET", "Origin: https://evil.example.net") },
		"GET upper case":         func() *http.Request { return newRequest("GET", "Origin: https://APP.example.com") },
		"GET trailing slash":     func() *http.Request { return newRequest("GET", "Origin: https://app.example.com/") },
		"GET null":               func() *http.Request { return newRequest("GET", "Origin: null") },
		"GET two Origin lines":   func() *http.Request { return newRequest("GET", o, o) },
		"GET empty Origin":       func() *http.Request { return newRequest("GET", "Origin: ") },
		"OPTIONS without Origin": func() *http.Request { return newRequest("OPTIONS") },
		"OPTIONS without ACRM":   func() *http.Request { return newRequest("OPTIONS", o) },
		"preflight allowed": func() *http.Request {
			return newRequest("OPTIONS", o, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type")
		},
		"preflight refused": func() *http.Request {
			return newRequest("OPTIONS", "Origin: https://evil.example.net", "Access-Control-Request-Method: PUT")
		},
	}
	// What the response held before the policy ran.
	before := map[string]http.Header{
		"empty":              {},
		"Vary set":           {"Vary": {"Accept-Encoding"}},
		"Vary names Origin":  {"Vary": {"origin"}},
		"stale CORS headers": {"Access-Control-Allow-Origin": {"https://stale.example.com"}, "Access-Control-Allow-Methods": {"DELETE"}},
	}
	for cfgName, cfg := range configs {
		p := mustNew(t, cfg)
		h := p.Handler(nextHandler)
		for reqName, req := range requests {
			for beforeName, pre := range before {
				t.Run(cfgName+"/"+reqName+"/"+beforeName, func(t *testing.T) {
					want := pre.Clone()
					d := p.Decide(req())
					d.Apply(want)
					w := httptest.NewRecorder()
					for k, v := range pre {
						w.Header()[k] = slices.Clone(v)
					}
					h.ServeHTTP(w, req())
					if got := corsHeaders(w.Header()); !reflect.DeepEqual(got, corsHeaders(want)) {
						t.Errorf("Handler wrote %v, Decide and Apply %v", got, corsHeaders(want))
					}
					wantCode := handlerStatus
					if d.Kind == cors.Preflight {
						wantCode = d.Status
					}
					if w.Code != wantCode {
						t.Errorf("status = %d, want %d", w.Code, wantCode)
					}
				})
			}
		}
	}
}

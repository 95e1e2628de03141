package checkagree_test

import (
	"net/http"
	"strconv"
	"strings"
)

// A reply is what a server answers to one kind of request. Header values may
// hold placeholders, replaced per request:
//
//	{origin}      the request's Origin header
//	{ORIGIN}      the same, upper-cased
//	{self}        this server's base URL
//	{other}       the base URL of the scenario's second server
//	{other-creds} the same with user:pass@ before the host
type reply struct {
	status int
	header []string // name, value, name, value...: each pair is one header line
}

// An api is a server's behaviour: its answer to preflights and to every
// other request.
type api struct {
	preflight, actual reply
}

// A server is one misbehaving (or well-behaved) CORS server and the request
// a page makes to it.
type server struct {
	name string
	// method, header (name, value pairs, each one Headers.append) and
	// credentials ("include" when true, fetch's default otherwise) make the
	// request, sent to the server's /api.
	method      string
	header      []string
	credentials bool
	// tls serves the server, its page and its second server over HTTPS.
	tls bool
	api api
	// handler, when not nil, serves instead of api, for behaviour a table
	// of replies cannot describe.
	handler http.Handler
	// other is a second server, on api2.example.test, that api's redirects
	// point to; nil when the scenario needs none.
	other *api
}

// handler serves a with the placeholders of its header values expanded.
// other is the second server's base URL, or "".
func (a api) handler(other string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := a.actual
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			rep = a.preflight
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		origin := r.Header.Get("Origin")
		expand := strings.NewReplacer(
			"{origin}", origin,
			"{ORIGIN}", strings.ToUpper(origin),
			"{self}", scheme+"://"+r.Host,
			"{other-creds}", strings.Replace(other, "://", "://user:pass@", 1),
			"{other}", other,
		)
		for i := 0; i+1 < len(rep.header); i += 2 {
			w.Header().Add(rep.header[i], expand.Replace(rep.header[i+1]))
		}
		// A body nobody reads: the verdict must not depend on one.
		w.Header().Set("Cache-Control", "no-store")
		status := rep.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
	})
}

// Header names, shortened so that the table reads as the wire does.
const (
	acao = "Access-Control-Allow-Origin"
	acac = "Access-Control-Allow-Credentials"
	acam = "Access-Control-Allow-Methods"
	acah = "Access-Control-Allow-Headers"
	aceh = "Access-Control-Expose-Headers"
)

// Replies used by many servers.
var (
	none        = reply{}
	exact       = reply{header: []string{acao, "{origin}"}}
	exactCreds  = reply{header: []string{acao, "{origin}", acac, "true"}}
	wildcard    = reply{header: []string{acao, "*"}}
	allowPut    = reply{status: http.StatusNoContent, header: []string{acao, "{origin}", acam, "PUT"}}
	allowCustom = reply{status: http.StatusNoContent, header: []string{acao, "{origin}", acah, "X-Custom"}}
)

// Request headers that make a request unsafe, and safe ones.
var (
	custom = []string{"X-Custom", "1"}
	// longAccept is 129 bytes: one more than a safelisted value may have.
	longAccept = strings.Repeat("a", 129)
	// fullAccept is 128 bytes: exactly as long as a safelisted value may be.
	fullAccept = strings.Repeat("a", 128)
)

// servers is the table: every server and the request made to it.
func servers() []server {
	return []server{
		// The CORS check on a simple request.
		{name: "exact origin is allowed", api: api{actual: exact}},
		{name: "* without credentials is allowed", api: api{actual: wildcard}},
		{name: "credentials with the exact origin and ACAC true are allowed", credentials: true, api: api{actual: exactCreds}},
		{name: "ACAC true without credentials and * is allowed", api: api{actual: reply{header: []string{acao, "*", acac, "true"}}}},
		{name: "an exposed header is readable", api: api{actual: reply{header: []string{acao, "{origin}", aceh, "X-Request-Id", "X-Request-Id", "42", "X-Hidden", "1"}}}},
		{name: "ACEH * exposes every header without credentials", api: api{actual: reply{header: []string{acao, "*", aceh, "*", "X-Request-Id", "42"}}}},
		{name: "ACEH * exposes nothing more with credentials", credentials: true, api: api{actual: reply{header: []string{acao, "{origin}", acac, "true", aceh, "*", "X-Request-Id", "42"}}}},
		{name: "a 500 with the exact origin is readable", api: api{actual: reply{status: 500, header: []string{acao, "{origin}"}}}},
		{name: "missing ACAO", api: api{actual: none}},
		{name: "ACAO with a trailing slash", api: api{actual: reply{header: []string{acao, "{origin}/"}}}},
		{name: "ACAO upper case", api: api{actual: reply{header: []string{acao, "{ORIGIN}"}}}},
		{name: "ACAO a list", api: api{actual: reply{header: []string{acao, "{origin}, http://other.example.test"}}}},
		{name: "ACAO two header lines", api: api{actual: reply{header: []string{acao, "{origin}", acao, "{origin}"}}}},
		{name: "ACAO null", api: api{actual: reply{header: []string{acao, "null"}}}},
		{name: "ACAO a host name, not an origin", api: api{actual: reply{header: []string{acao, "app.example.test"}}}},
		{name: "ACAO empty", api: api{actual: reply{header: []string{acao, ""}}}},
		{name: "ACAO another port", api: api{actual: reply{header: []string{acao, "http://app.example.test:1"}}}},
		{name: "ACAO https for an http page", api: api{actual: reply{header: []string{acao, "https://app.example.test"}}}},
		{name: "ACAO * with credentials", credentials: true, api: api{actual: reply{header: []string{acao, "*", acac, "true"}}}},
		{name: "ACAC True with credentials", credentials: true, api: api{actual: reply{header: []string{acao, "{origin}", acac, "True"}}}},
		{name: "ACAC missing with credentials", credentials: true, api: api{actual: exact}},

		// Preflights.
		{name: "preflight 204 listing PUT is allowed", method: "PUT", api: api{preflight: allowPut, actual: exact}},
		{name: "preflight 200 without ACAO", method: "PUT", api: api{preflight: reply{header: []string{acam, "PUT"}}, actual: exact}},
		{name: "preflight 301", method: "PUT", api: api{preflight: reply{status: 301, header: []string{acao, "{origin}", acam, "PUT", "Location", "{self}/elsewhere"}}, actual: exact}},
		{name: "preflight 302 without CORS headers", method: "PUT", api: api{preflight: reply{status: 302, header: []string{"Location", "{self}/elsewhere"}}, actual: exact}},
		{name: "preflight 404 with ACAO", method: "PUT", api: api{preflight: reply{status: 404, header: []string{acao, "{origin}", acam, "PUT"}}, actual: exact}},
		{name: "preflight 500 with ACAO", method: "PUT", api: api{preflight: reply{status: 500, header: []string{acao, "{origin}", acam, "PUT"}}, actual: exact}},
		{name: "preflight 403 without ACAO", method: "PUT", api: api{preflight: reply{status: 403}, actual: exact}},
		{name: "preflight ACAO with a trailing slash", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}/", acam, "PUT"}}, actual: exact}},
		{name: "preflight ACAO a list", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}, {origin}", acam, "PUT"}}, actual: exact}},
		{name: "preflight ACAO * with credentials", method: "PUT", credentials: true, api: api{preflight: reply{header: []string{acao, "*", acac, "true", acam, "PUT"}}, actual: exactCreds}},
		{name: "preflight ACAC missing with credentials", method: "PUT", credentials: true, api: api{preflight: allowPut, actual: exactCreds}},
		{name: "preflight ACAC True with credentials", method: "PUT", credentials: true, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "True", acam, "PUT"}}, actual: exactCreds}},
		{name: "ACAM put for PUT", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "put"}}, actual: exact}},
		{name: "ACAM missing the method", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "GET, POST, DELETE"}}, actual: exact}},
		{name: "ACAM empty", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}", acam, ""}}, actual: exact}},
		{name: "ACAM * with credentials", method: "PUT", credentials: true, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acam, "*"}}, actual: exactCreds}},
		{name: "ACAM * without credentials is allowed", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "*"}}, actual: exact}},
		{name: "method patch against ACAM PATCH", method: "patch", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "PATCH"}}, actual: exact}},
		{name: "method patch against ACAM patch is allowed", method: "patch", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "patch"}}, actual: exact}},
		{name: "method delete is sent as DELETE and allowed by ACAM DELETE", method: "delete", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "DELETE"}}, actual: exact}},
		{name: "unparsable ACAM", method: "PUT", api: api{preflight: reply{header: []string{acao, "{origin}", acam, "PUT DELETE"}}, actual: exact}},
		{name: "ACAH missing a header", header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "X-Other"}}, actual: exact}},
		{name: "ACAH in another case is allowed", header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "x-CUSTOM"}}, actual: exact}},
		{name: "ACAH * without credentials is allowed", header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "*"}}, actual: exact}},
		{name: "ACAH * with credentials", header: custom, credentials: true, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acah, "*"}}, actual: exactCreds}},
		{name: "ACAH * covers Authorization without credentials", header: []string{"Authorization", "Bearer t"}, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "*"}}, actual: exact}},
		{name: "ACAH * does not cover Authorization with credentials", header: []string{"Authorization", "Bearer t"}, credentials: true, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acah, "*"}}, actual: exactCreds}},
		{name: "ACAH listing Authorization is allowed", header: []string{"Authorization", "Bearer t"}, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "authorization"}}, actual: exact}},
		{name: "unparsable ACAH", header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "x y"}}, actual: exact}},
		{name: "preflight passes, the actual response lacks ACAO", method: "PUT", api: api{preflight: allowPut, actual: none}},
		{name: "preflight passes, the actual response has * with credentials", header: custom, credentials: true, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acah, "X-Custom"}}, actual: reply{header: []string{acao, "*", acac, "true"}}}},

		// What needs a preflight: the handler refuses every preflight, so a
		// request is allowed only when the browser sends none.
		{name: "POST text/plain;charset=utf-8 needs no preflight", method: "POST", header: []string{"Content-Type", "text/plain;charset=utf-8"}, api: api{preflight: none, actual: exact}},
		{name: "POST application/json needs a preflight", method: "POST", header: []string{"Content-Type", "application/json"}, api: api{preflight: none, actual: exact}},
		{name: "Content-Type with a quote needs a preflight", method: "POST", header: []string{"Content-Type", `text/plain; charset="utf-8"`}, api: api{preflight: none, actual: exact}},
		{name: "Content-Type with two types needs a preflight", method: "POST", header: []string{"Content-Type", "text/plain, application/json"}, api: api{preflight: none, actual: exact}},
		{name: "Range bytes=0- needs no preflight", header: []string{"Range", "bytes=0-"}, api: api{preflight: none, actual: exact}},
		{name: "Range bytes=-5 needs a preflight", header: []string{"Range", "bytes=-5"}, api: api{preflight: none, actual: exact}},
		{name: "Accept of 128 bytes needs no preflight", header: []string{"Accept", fullAccept}, api: api{preflight: none, actual: exact}},
		{name: "Accept of 129 bytes needs a preflight", header: []string{"Accept", longAccept}, api: api{preflight: none, actual: exact}},
		{name: "Accept appended twice, 100 bytes each", header: []string{"Accept", strings.Repeat("b", 100), "Accept", strings.Repeat("c", 100)}, api: api{preflight: none, actual: exact}},
		{name: "Content-Type appended twice needs a preflight", method: "POST", header: []string{"Content-Type", "text/plain", "Content-Type", "text/plain"}, api: api{preflight: none, actual: exact}},
		{name: "Accept-Language with @ needs a preflight", header: []string{"Accept-Language", "en@x"}, api: api{preflight: none, actual: exact}},
		{name: "Content-Language de-DE needs no preflight", header: []string{"Content-Language", "de-DE"}, api: api{preflight: none, actual: exact}},
		{name: "the 129-byte Accept allowed by its preflight", header: []string{"Accept", longAccept}, api: api{preflight: reply{header: []string{acao, "{origin}", acah, "Accept"}}, actual: exact}},
		{name: "method post is a simple POST", method: "post", api: api{preflight: none, actual: exact}},

		// Redirects.
		{name: "a 302 without CORS headers", api: api{actual: reply{status: 302, header: []string{"Location", "{self}/next"}}}},
		{name: "a 307 to the same origin with CORS headers is followed", api: api{actual: reply{status: 307, header: []string{acao, "{origin}", "Location", "{self}/next"}}}},
		{name: "a 302 to another origin whose ACAO is the page's origin: tainted to null", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{actual: exact}},
		{name: "a 302 to another origin whose ACAO is null is allowed", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{actual: reply{header: []string{acao, "null"}}}},
		{name: "a 302 to another origin whose ACAO is * is allowed", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{actual: wildcard}},
		{name: "a tainted credentialed request allowed by null and ACAC true", credentials: true, api: api{actual: reply{status: 302, header: []string{acao, "{origin}", acac, "true", "Location", "{other}/next"}}}, other: &api{actual: reply{header: []string{acao, "null", acac, "true"}}}},
		{name: "a redirect Location with userinfo", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{other-creds}/next"}}}, other: &api{actual: wildcard}},
		{name: "a redirect to a data: URL", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "data:text/plain,hi"}}}},
		{name: "a redirect to a data: URL without CORS headers", api: api{actual: reply{status: 302, header: []string{"Location", "data:text/plain,hi"}}}},
		{name: "a redirect to a file: URL", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "file:///etc/hostname"}}}},
		{name: "a redirect to an ftp: URL", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "ftp://api.example.test/x"}}}},
		{name: "a Location that is not a URL, without CORS headers", api: api{actual: reply{status: 302, header: []string{"Location", "http://[::1"}}}},
		{name: "a 21st redirect without CORS headers", handler: countedRedirects(20)},
		{name: "a redirect back to the page's origin", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{origin}/back"}}}},
		{name: "a POST 302 becomes a GET at the other origin", method: "POST", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{actual: wildcard}},
		{name: "a PUT 307 to another origin is preflighted there", method: "PUT", api: api{preflight: allowPut, actual: reply{status: 307, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{preflight: none, actual: wildcard}},
		{name: "a PUT 307 to another origin that allows null", method: "PUT", api: api{preflight: allowPut, actual: reply{status: 307, header: []string{acao, "{origin}", "Location", "{other}/next"}}}, other: &api{preflight: reply{header: []string{acao, "null", acam, "PUT"}}, actual: reply{header: []string{acao, "null"}}}},
		{name: "a redirect loop", api: api{actual: reply{status: 302, header: []string{acao, "{origin}", "Location", "{self}/again"}}}},

		// Over HTTPS.
		{name: "https: exact origin is allowed", tls: true, api: api{actual: exact}},
		{name: "https: ACAO names the http origin", tls: true, api: api{actual: reply{header: []string{acao, "http://app.example.test"}}}},
		{name: "https: credentials with a preflight are allowed", tls: true, credentials: true, header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acah, "x-custom"}}, actual: exactCreds}},
		{name: "https: ACAC missing on the actual response", tls: true, credentials: true, header: custom, api: api{preflight: reply{header: []string{acao, "{origin}", acac, "true", acah, "x-custom"}}, actual: exact}},
		{name: "preflight with ACAH only for another custom header", tls: true, header: []string{"X-Custom", "1", "X-Trace", "2"}, api: api{preflight: allowCustom, actual: exact}},
	}
}

// countedRedirects redirects /api to /1, /1 to /2 and so on, with the
// request's origin in Access-Control-Allow-Origin up to redirect number
// withCORS and without CORS headers after it.
func countedRedirects(withCORS int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n+1 <= withCORS {
			w.Header().Set(acao, r.Header.Get("Origin"))
		}
		w.Header().Set("Location", "/"+strconv.Itoa(n+1))
		w.WriteHeader(http.StatusFound)
	})
}

package conformance

import (
	"net/http"

	"github.com/crossgate/crossgate/e2e"
)

// Policies the scenarios share.
const (
	appOnly     = `{allow_origins: ["{{app}}"]}`
	appTLSOnly  = `{allow_origins: ["{{app-tls}}"]}`
	appMethods  = `{allow_origins: ["{{app}}"], allow_methods: [PUT, PATCH, DELETE], allow_headers: [Content-Type, X-Custom], expose_headers: [X-Request-Id]}`
	appCreds    = `{allow_origins: ["{{app-tls}}"], allow_methods: [PUT], allow_headers: [Content-Type], expose_headers: [X-Request-Id], allow_credentials: true}`
	subdomains  = `{allow_origins: ["https://*.example.test:{{port:https}}"]}`
	anyPort     = `{allow_origins: ["http://app.example.test:*"]}`
	previews    = `{allow_origin_regex: ['https://pr-[0-9]+\.preview\.example\.test:{{port:https}}']}`
	anyOrigin   = `{allow_origins: ["*"], allow_methods: [PUT]}`
	withNull    = `{allow_origins: ["{{app}}", "null"]}`
	enforce     = `{allow_origins: ["{{app}}"], enforce_origin: true}`
	upstreamApp = `{allow_origins: ["{{app}}"], mode: upstream}`
	shadowApp   = `{allow_origins: ["{{app}}"], mode: shadow}`
)

// Requests the scenarios share.
var (
	get        = e2e.FetchRequest{URL: "/echo"}
	put        = e2e.FetchRequest{URL: "/echo", Method: "PUT", Body: "{}"}
	jsonPost   = e2e.FetchRequest{URL: "/echo", Method: "POST", Body: "{}", Header: http.Header{"Content-Type": {"application/json"}}}
	credGet    = e2e.FetchRequest{URL: "/echo", Credentials: "include"}
	ownCORSPut = e2e.FetchRequest{URL: "/own-cors", Method: "PUT", Body: "{}"}
	jsonPut    = e2e.FetchRequest{URL: "/echo", Method: "PUT", Body: "{}", Header: http.Header{"Content-Type": {"application/json"}}}
	xhrDelete  = e2e.FetchRequest{URL: "/echo", Method: "DELETE", Header: http.Header{"X-Requested-With": {"XMLHttpRequest"}}}
)

func withHeader(req e2e.FetchRequest, name, value string) e2e.FetchRequest {
	req.Header = http.Header{name: {value}}
	return req
}

func withMethod(req e2e.FetchRequest, method string) e2e.FetchRequest {
	req.Method = method
	return req
}

// counts builds a Want.Gateway or Want.Upstream map from method, count
// pairs.
func counts(pairs ...any) map[string]int {
	m := map[string]int{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1].(int)
	}
	return m
}

// Scenarios returns the suite: each a policy, a request from a page, and
// the outcome a browser must show. The slice is new on every call.
func Scenarios() []Scenario {
	ok := Want{Allowed: true, Status: 200}
	blocked := func(code string) Want { return Want{CorsError: code} }
	return []Scenario{
		// Simple requests.
		{
			Name: "simple GET from the allowed origin", Policy: appOnly, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Body: "ok", Gateway: counts("GET", 1), Upstream: counts("GET", 1)},
		},
		{
			Name: "simple POST text/plain from the allowed origin", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/echo", Method: "POST", Body: "x", Header: http.Header{"Content-Type": {"text/plain"}}},
			Want:    Want{Allowed: true, Status: 200, Upstream: counts("POST", 1)},
		},
		{
			Name: "simple POST form-urlencoded from the allowed origin", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/echo", Method: "POST", Body: "a=1", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
			Want:    ok,
		},
		{
			Name: "HEAD from the allowed origin", Policy: appOnly, Page: "app", Request: withMethod(get, "HEAD"),
			Want: ok,
		},
		{
			Name: "simple GET from a refused origin reaches the upstream but the page cannot read it", Policy: appOnly, Page: "evil", Request: get,
			Want: Want{CorsError: "MissingAllowOriginHeader", Upstream: counts("GET", 1)},
		},
		{
			Name: "no-cors GET from a refused origin is an opaque response, not an error", Policy: appOnly, Page: "evil",
			Request: e2e.FetchRequest{URL: "/echo", Mode: "no-cors"},
			Want:    Want{Allowed: true, Status: 0},
		},
		{
			Name: "Content-Type is readable without being exposed", Policy: appOnly, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Readable: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		},

		// Preflighted requests.
		{
			Name: "preflighted PUT allowed: the gateway answers the preflight, the upstream sees only the PUT", Policy: appMethods, Page: "app", Request: put,
			Want: Want{Allowed: true, Status: 200, Preflight: true, Gateway: counts("OPTIONS", 1, "PUT", 1), Upstream: counts("PUT", 1)},
		},
		{
			Name: "preflighted DELETE allowed", Policy: appMethods, Page: "app", Request: withMethod(get, "DELETE"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "method not in allow_methods is refused at the preflight, the upstream untouched", Policy: appOnly, Page: "app", Request: put,
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Gateway: counts("OPTIONS", 1), Upstream: counts()},
		},
		{
			Name: "JSON POST with Content-Type allowed", Policy: appMethods, Page: "app", Request: jsonPost,
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "JSON POST without Content-Type in allow_headers", Policy: appOnly, Page: "app", Request: jsonPost,
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Upstream: counts()},
		},
		{
			Name: "POST is allowed whatever allow_methods lists", Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT], allow_headers: [Content-Type]}`, Page: "app", Request: jsonPost,
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "custom header in allow_headers", Policy: appMethods, Page: "app", Request: withHeader(get, "X-Custom", "1"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "custom header not in allow_headers", Policy: appMethods, Page: "app", Request: withHeader(get, "X-Other", "1"),
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Upstream: counts()},
		},
		{
			Name: "allow_headers written in another case matches the browser's lower-case names", Policy: `{allow_origins: ["{{app}}"], allow_headers: [X-CUSTOM]}`, Page: "app", Request: withHeader(get, "X-Custom", "1"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "preflight_status 200 passes", Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT], preflight_status: 200}`, Page: "app", Request: put,
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "allow_methods * covers PATCH", Policy: `{allow_origins: ["{{app}}"], allow_methods: ["*"]}`, Page: "app", Request: withMethod(put, "PATCH"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "allow_headers * covers a custom header", Policy: `{allow_origins: ["{{app}}"], allow_headers: ["*"]}`, Page: "app", Request: withHeader(get, "X-Custom", "1"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "allow_headers * does not cover Authorization", Policy: `{allow_origins: ["{{app}}"], allow_headers: ["*"]}`, Page: "app", Request: withHeader(get, "Authorization", "Bearer t"),
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Upstream: counts()},
		},
		{
			Name: "Authorization listed by name is allowed", Policy: `{allow_origins: ["{{app}}"], allow_headers: [Authorization]}`, Page: "app", Request: withHeader(get, "Authorization", "Bearer t"),
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},
		{
			Name: "method patch in lower case does not match PATCH", Policy: appMethods, Page: "app", Request: withMethod(put, "patch"),
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Upstream: counts()},
		},
		{
			Name: "method put in lower case is normalised to PUT by the browser", Policy: appMethods, Page: "app", Request: withMethod(put, "put"),
			Want: Want{Allowed: true, Status: 200, Preflight: true, Upstream: counts("PUT", 1)},
		},

		// Origins.
		{
			Name: "wildcard subdomain allows www", Policy: subdomains, Page: "www", Request: get, Want: ok,
		},
		{
			Name: "wildcard subdomain allows several labels", Policy: subdomains, Page: "deep", Request: get, Want: ok,
		},
		{
			Name: "wildcard subdomain refuses the bare domain", Policy: subdomains, Page: "apex", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "wildcard subdomain refuses a suffix look-alike (evilexample.test)", Policy: subdomains, Page: "suffix-lookalike", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "wildcard subdomain refuses a prefix look-alike (app.example.test.evil.test)", Policy: subdomains, Page: "prefix-lookalike", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "wildcard subdomain refuses a look-alike's preflight", Policy: `{allow_origins: ["https://*.example.test:{{port:https}}"], allow_methods: [PUT]}`, Page: "suffix-lookalike", Request: put,
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Upstream: counts()},
		},
		{
			Name: "exact origin refuses a prefix look-alike", Policy: appTLSOnly, Page: "prefix-lookalike", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "exact https origin refuses the same host over http", Policy: appTLSOnly, Page: "app", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "exact origin refuses the same host on another port", Policy: appOnly, Page: "app-port2", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "port wildcard allows the host on one port", Policy: anyPort, Page: "app", Request: get, Want: ok,
		},
		{
			Name: "port wildcard allows the host on another port", Policy: anyPort, Page: "app-port2", Request: get, Want: ok,
		},
		{
			Name: "port wildcard keeps the scheme: https refused", Policy: anyPort, Page: "app-tls", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "regex allows a preview deployment", Policy: previews, Page: "pr", Request: get, Want: ok,
		},
		{
			Name: "regex refuses a host its pattern does not match", Policy: previews, Page: "pr-bad", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "regex matches the whole origin: a host that only contains a match is refused", Policy: previews, Page: "pr-lookalike", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "refused origin's preflight: 403, the upstream untouched", Policy: appMethods, Page: "evil", Request: put,
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Gateway: counts("OPTIONS", 1), Upstream: counts()},
		},
		{
			Name: "* allows any origin", Policy: anyOrigin, Page: "evil", Request: get, Want: ok,
		},
		{
			Name: "* allows any origin's preflighted PUT", Policy: anyOrigin, Page: "evil", Request: put,
			Want: Want{Allowed: true, Status: 200, Preflight: true},
		},

		// The null origin. A sandboxed frame runs in a process of its own
		// whose DevTools events the page's tab does not receive, so a
		// blocked fetch there shows no CorsError; the upstream witnesses
		// the Origin: null it carried.
		{
			Name: "sandboxed iframe (Origin: null) refused when null is not listed", Policy: appOnly, Page: "app", Sandboxed: true, Request: get,
			Want: Want{UpstreamOrigin: "null"},
		},
		{
			Name: "sandboxed iframe allowed when null is listed", Policy: withNull, Page: "app", Sandboxed: true, Request: get,
			Want: Want{Allowed: true, Status: 200, UpstreamOrigin: "null"},
		},
		{
			// Chromium's Local Network Access: a data: document is not a
			// secure context and has no address space, so it may not
			// reach a loopback API at all. A null-origin test against a
			// local gateway needs a sandboxed frame instead.
			Name: "data: page (Origin: null) cannot reach a loopback API: Local Network Access blocks it before CORS", Policy: withNull, Page: DataPage, Request: get,
			Want: Want{CorsError: "InsecureLocalNetwork", Gateway: counts(), Upstream: counts()},
		},

		// Credentials.
		{
			Name: "same-site cookie set by a credentialed response is sent back and the page reads the answer", Policy: appCreds, Page: "app-tls",
			Before:  []Step{{Request: e2e.FetchRequest{URL: "/set-cookie?name=cg_same_site", Credentials: "include"}}},
			Request: e2e.FetchRequest{URL: "/whoami", Credentials: "include"},
			Want:    Want{Allowed: true, Status: 200, Body: "cg_same_site=1"},
		},
		{
			// Headless Chromium blocks third-party cookies: a cookie set
			// by api.example.test in a fetch from partner.test is not
			// stored, so the credentialed request passes CORS without it.
			Name: "cross-site cookie (partner.test page, api.example.test) is blocked by the browser, CORS still passes", Policy: `{allow_origins: ["{{partner}}"], allow_credentials: true}`, Page: "partner",
			Before:  []Step{{Request: e2e.FetchRequest{URL: "/set-cookie?name=cg_cross_site", Credentials: "include"}}},
			Request: e2e.FetchRequest{URL: "/whoami", Credentials: "include"},
			Want:    Want{Allowed: true, Status: 200, NotBody: "cg_cross_site"},
		},
		{
			Name: "credentialed preflighted PUT allowed", Policy: appCreds, Page: "app-tls", Request: e2e.FetchRequest{URL: "/echo", Method: "PUT", Body: "{}", Credentials: "include"},
			Want: Want{Allowed: true, Status: 200, Preflight: true, Readable: map[string]string{"X-Request-Id": "42"}},
		},
		{
			Name: "credentialed fetch refused when the policy does not allow credentials", Policy: appTLSOnly, Page: "app-tls", Request: credGet,
			Want: Want{CorsError: "InvalidAllowCredentials", Upstream: counts("GET", 1)},
		},
		{
			Name: "credentialed fetch refused by a * policy", Policy: anyOrigin, Page: "evil-tls", Request: credGet,
			Want: blocked("WildcardOriginNotAllowed"),
		},
		{
			Name: "upstream's own Access-Control-Allow-Origin: * is replaced: one value, credentials work", Policy: appCreds, Page: "app-tls",
			Request: e2e.FetchRequest{URL: "/star", Credentials: "include"},
			Want:    Want{Allowed: true, Status: 200, Body: "star"},
		},
		{
			Name: "upstream that reflects any origin cannot let a refused origin in through the gateway", Policy: appOnly, Page: "evil",
			Request: e2e.FetchRequest{URL: "/own-cors", Credentials: "include"},
			Want:    Want{CorsError: "MissingAllowOriginHeader", Upstream: counts("GET", 1)},
		},

		// Exposed headers.
		{
			Name: "exposed header readable, others not", Policy: appMethods, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Readable: map[string]string{"X-Request-Id": "42", "X-Internal": ""}},
		},
		{
			Name: "header not exposed is unreadable", Policy: appOnly, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Readable: map[string]string{"X-Request-Id": ""}},
		},
		{
			Name: "expose_headers * exposes every header without credentials", Policy: `{allow_origins: ["{{app}}"], expose_headers: ["*"]}`, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Readable: map[string]string{"X-Request-Id": "42", "X-Internal": "hidden"}},
		},

		// Preflight caching.
		{
			Name: "max_age 600: the second identical request is not preflighted", Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT], max_age: 600}`, Page: "app",
			Before: []Step{{Request: put}}, Request: put,
			Want: Want{Allowed: true, Status: 200, Gateway: counts("OPTIONS", 1, "PUT", 2)},
		},
		{
			Name: "max_age -1: the second identical request is preflighted again", Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT], max_age: -1}`, Page: "app",
			Before: []Step{{Request: put}}, Request: put,
			Want: Want{Allowed: true, Status: 200, Preflight: true, Gateway: counts("OPTIONS", 2, "PUT", 2)},
		},
		{
			// The answer to the PUT's preflight lists every allowed method
			// and header, and the browser caches all of them.
			Name: "one preflight for PUT with Content-Type covers a later DELETE with X-Requested-With", Page: "app",
			Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT, DELETE], allow_headers: [Content-Type, X-Requested-With], max_age: 600}`,
			Before: []Step{{Request: jsonPut}}, Request: xhrDelete,
			Want: Want{Allowed: true, Status: 200, Gateway: counts("OPTIONS", 1, "PUT", 1, "DELETE", 1)},
		},
		{
			Name: "a later DELETE with X-Requested-With that the policy does not allow is preflighted, and refused", Page: "app",
			Policy: `{allow_origins: ["{{app}}"], allow_methods: [PUT], allow_headers: [Content-Type], max_age: 600}`,
			Before: []Step{{Request: jsonPut}}, Request: xhrDelete,
			Want: Want{CorsError: "PreflightMissingAllowOriginHeader", Preflight: true, Gateway: counts("OPTIONS", 2, "PUT", 1), Upstream: counts("PUT", 1)},
		},

		// Redirects.
		{
			Name: "same-origin redirect from the upstream carries CORS headers and is followed", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api/echo"},
			Want:    Want{Allowed: true, Status: 200, Body: "ok", Upstream: counts("GET", 2), UpstreamOrigin: "http://app.example.test:{{port:http}}"},
		},
		{
			Name: "redirect to another origin taints the Origin to null, refused by a policy without null", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api2/echo"},
			Want:    Want{CorsError: "MissingAllowOriginHeader", Upstream: counts("GET", 2), UpstreamOrigin: "null"},
		},
		{
			Name: "redirect to another origin and back keeps the Origin null", Policy: withNull, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api2/hop/api/echo"},
			Want:    Want{Allowed: true, Status: 200, Body: "ok", Upstream: counts("GET", 3), UpstreamOrigin: "null"},
		},
		{
			Name: "redirect chain stops at the first response that refuses the tainted origin", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api2/hop/api/echo"},
			Want:    Want{CorsError: "MissingAllowOriginHeader", Upstream: counts("GET", 2), UpstreamOrigin: "null"},
		},
		{
			Name: "redirect to another origin allowed when the policy lists null", Policy: withNull, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api2/echo"},
			Want:    Want{Allowed: true, Status: 200, Body: "ok", UpstreamOrigin: "null"},
		},
		{
			Name: "redirect with redirect: error is a network error, not a CORS error", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api/echo", Redirect: "error"},
			Want:    Want{Upstream: counts("GET", 1)},
		},
		{
			Name: "redirect with redirect: manual is an opaque redirect", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api/echo", Redirect: "manual"},
			Want:    Want{Allowed: true, Status: 0},
		},
		{
			Name: "redirect on a route with cors off has no CORS headers and blocks", Policy: `"off"`, Page: "app",
			Request: e2e.FetchRequest{URL: "/hop/api/echo"},
			Want:    Want{CorsError: "MissingAllowOriginHeader", Upstream: counts("GET", 1)},
		},

		// Errors the gateway makes.
		{
			Name: "502 when the upstream is down is readable", Policy: appOnly, Upstream: "down", Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 502},
		},
		{
			Name: "502 on a preflighted request is readable", Policy: appMethods, Upstream: "down", Page: "app", Request: put,
			Want: Want{Allowed: true, Status: 502, Preflight: true},
		},
		{
			Name: "504 when the upstream is too slow is readable", Policy: appOnly, Upstream: "slow", Page: "app",
			Request: e2e.FetchRequest{URL: "/slow"},
			Want:    Want{Allowed: true, Status: 504},
		},
		{
			Name: "405 for a method the route does not serve is readable", Policy: appMethods, Route: "methods: [GET]", Page: "app", Request: withMethod(get, "DELETE"),
			Want: Want{Allowed: true, Status: 405, Preflight: true, Upstream: counts()},
		},
		{
			Name: "404 for a path no route serves carries no CORS headers", Policy: appOnly, Page: "app",
			Request: e2e.FetchRequest{URL: "{{gw}}/no-such-route/echo"},
			Want:    blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "enforce_origin: a refused origin gets a 403 the page cannot read, the upstream untouched", Policy: enforce, Page: "evil", Request: get,
			Want: Want{CorsError: "MissingAllowOriginHeader", Gateway: counts("GET", 1), Upstream: counts()},
		},
		{
			Name: "enforce_origin: the allowed origin reaches the upstream", Policy: enforce, Page: "app", Request: get,
			Want: Want{Allowed: true, Status: 200, Upstream: counts("GET", 1)},
		},
		{
			Name: "enforce_origin: a sandboxed frame's null origin is refused before the upstream", Policy: enforce, Page: "app", Sandboxed: true, Request: get,
			Want: Want{Gateway: counts("GET", 1), Upstream: counts()},
		},
		{
			Name: "enforce_origin: a no-cors POST from a refused origin stops at the gateway", Policy: enforce, Page: "evil",
			Request: e2e.FetchRequest{URL: "/echo", Method: "POST", Body: "a=1", Mode: "no-cors"},
			Want:    Want{Allowed: true, Status: 0, Gateway: counts("POST", 1), Upstream: counts()},
		},

		// Policy modes.
		{
			Name: "upstream mode: the upstream answers the preflight", Policy: upstreamApp, Page: "app", Request: ownCORSPut,
			Want: Want{Allowed: true, Status: 200, Preflight: true, Upstream: counts("OPTIONS", 1, "PUT", 1)},
		},
		{
			Name: "upstream mode: the gateway caches the upstream's preflight answer", Policy: upstreamApp, Page: "app",
			Before: []Step{{Request: ownCORSPut}}, Request: withCache(ownCORSPut, "no-store"),
			Want: Want{Allowed: true, Status: 200, Preflight: true, Gateway: counts("OPTIONS", 2, "PUT", 2), Upstream: counts("OPTIONS", 1, "PUT", 2)},
		},
		{
			Name: "upstream mode: the upstream's verdict stands, even for an origin the gateway policy refuses", Policy: upstreamApp, Page: "evil",
			Request: e2e.FetchRequest{URL: "/own-cors"},
			Want:    Want{Allowed: true, Status: 200, Body: "own"},
		},
		{
			Name: "upstream mode: an upstream without CORS headers is blocked", Policy: upstreamApp, Page: "app", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},
		{
			Name: "shadow mode: the upstream's verdict stands where the gateway policy would refuse", Policy: shadowApp, Page: "evil",
			Request: e2e.FetchRequest{URL: "/own-cors"},
			Want:    Want{Allowed: true, Status: 200, Body: "own"},
		},
		{
			Name: "shadow mode: the preflight reaches the upstream", Policy: shadowApp, Page: "app", Request: ownCORSPut,
			Want: Want{Allowed: true, Status: 200, Preflight: true, Upstream: counts("OPTIONS", 1, "PUT", 1)},
		},
		{
			Name: "shadow mode: an upstream without CORS headers is blocked though the gateway policy allows", Policy: shadowApp, Page: "app", Request: get,
			Want: blocked("MissingAllowOriginHeader"),
		},

		// Caches between origins.
		{
			// Over plain HTTP: Chromium does not cache the responses of a
			// server whose certificate error it was told to ignore.
			Name: "Vary: Origin keeps one origin's cached response from another origin", Policy: `{allow_origins: ["{{app}}", "{{app-port2}}"]}`, Page: "app-port2",
			Before:  []Step{{Page: "app", Request: e2e.FetchRequest{URL: "/cacheable"}}},
			Request: e2e.FetchRequest{URL: "/cacheable", Cache: "force-cache"},
			Want:    Want{Allowed: true, Status: 200, Body: "cached", Upstream: counts("GET", 2)},
		},
	}
}

func withCache(req e2e.FetchRequest, mode string) e2e.FetchRequest {
	req.Cache = mode
	return req
}

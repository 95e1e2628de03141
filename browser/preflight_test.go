package browser_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

func TestCheckPreflight(t *testing.T) {
	ok := []string{"Access-Control-Allow-Origin", page}
	okCred := []string{"Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true"}
	with := func(base []string, kv ...string) []string { return append(append([]string{}, base...), kv...) }
	tests := []struct {
		name        string
		method      string
		header      http.Header
		credentials bool
		status      int
		resp        []string
		want        browser.Code
		wantValue   string
	}{
		{name: "simple method needs no ACAM", method: "POST", status: 204, resp: ok},
		{name: "listed method", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "GET, PUT")},
		{name: "listed over two lines", method: "DELETE", status: 200, resp: with(ok, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Methods", "DELETE")},
		{name: "method missing", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "GET, POST"), want: browser.MethodDisallowedByPreflightResponse, wantValue: "PUT"},
		{name: "no ACAM", method: "DELETE", status: 204, resp: ok, want: browser.MethodDisallowedByPreflightResponse},
		{name: "methods are case-sensitive", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "put"), want: browser.MethodDisallowedByPreflightResponse},
		{name: "patch needs patch", method: "patch", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "PATCH"), want: browser.MethodDisallowedByPreflightResponse, wantValue: "patch"},
		{name: "star method without credentials", method: "SUPER", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "*")},
		{name: "star method with credentials", method: "SUPER", credentials: true, status: 204, resp: with(okCred, "Access-Control-Allow-Methods", "*"), want: browser.MethodDisallowedByPreflightResponse},
		{name: "listed method with credentials", method: "SUPER", credentials: true, status: 204, resp: with(okCred, "Access-Control-Allow-Methods", "SUPER")},
		{name: "bad method list", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "PUT, Bad method"), want: browser.InvalidAllowMethodsPreflightResponse},
		{name: "quoted method", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", `"PUT"`), want: browser.InvalidAllowMethodsPreflightResponse},

		{name: "header listed in other case", method: "GET", header: header("X-Foo", "1"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "X-FOO")},
		{name: "empty items ignored", method: "GET", header: header("Y-Lol", "1", "X-Print", "2"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", ",y-lol,x-PriNT, ,,,Y-PRINT")},
		{name: "header missing", method: "GET", header: header("X-Foo", "1", "X-Bar", "2"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "x-foo"), want: browser.HeaderDisallowedByPreflightResponse, wantValue: "x-bar"},
		{name: "no ACAH", method: "GET", header: header("Content-Type", "application/json"), status: 204, resp: ok, want: browser.HeaderDisallowedByPreflightResponse, wantValue: "content-type"},
		{name: "star header without credentials", method: "GET", header: header("X-Foo", "1"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "*")},
		{name: "star header with credentials", method: "GET", header: header("X-Foo", "1"), credentials: true, status: 204, resp: with(okCred, "Access-Control-Allow-Headers", "*"), want: browser.HeaderDisallowedByPreflightResponse},
		{name: "star covers authorization without credentials, as in Chrome", method: "GET", header: header("Authorization", "Bearer t"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "*")},
		{name: "star does not cover authorization with credentials", method: "GET", header: header("Authorization", "Bearer t"), credentials: true, status: 204, resp: with(okCred, "Access-Control-Allow-Headers", "*"), want: browser.HeaderDisallowedByPreflightResponse, wantValue: "authorization"},
		{name: "authorization listed with star", method: "GET", header: header("Authorization", "Bearer t", "X-Foo", "1"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "*, Authorization")},
		{name: "header with space", method: "GET", header: header("X-Foo", "1"), status: 204, resp: with(ok, "Access-Control-Allow-Headers", "x-foo, header name with space"), want: browser.InvalidAllowHeadersPreflightResponse},
		{name: "bad ACAH fails even if not needed", method: "PUT", status: 204, resp: with(ok, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "a b"), want: browser.InvalidAllowHeadersPreflightResponse},

		{name: "status 200", method: "PUT", status: 200, resp: with(ok, "Access-Control-Allow-Methods", "PUT")},
		{name: "status 206", method: "PUT", status: 206, resp: with(ok, "Access-Control-Allow-Methods", "PUT")},
		{name: "status 299", method: "PUT", status: 299, resp: with(ok, "Access-Control-Allow-Methods", "PUT")},
		{name: "status 300", method: "PUT", status: 300, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 304", method: "PUT", status: 304, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 400", method: "PUT", status: 400, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 401", method: "PUT", status: 401, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 405", method: "PUT", status: 405, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 501", method: "PUT", status: 501, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "status 680", method: "PUT", status: 680, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidStatus},
		{name: "origin checked before status", method: "PUT", status: 404, want: browser.PreflightMissingAllowOriginHeader},
		{name: "redirect 301", method: "PUT", status: 301, resp: with(ok, "Location", "/other"), want: browser.PreflightDisallowedRedirect, wantValue: "/other"},
		{name: "redirect 307", method: "PUT", status: 307, resp: with(ok, "Location", "https://api.example.com/v1/items/"), want: browser.PreflightDisallowedRedirect},
		{name: "redirect 308", method: "PUT", status: 308, resp: with(ok, "Location", "/x"), want: browser.PreflightDisallowedRedirect},

		{name: "missing ACAO", method: "PUT", status: 204, resp: []string{"Access-Control-Allow-Methods", "PUT"}, want: browser.PreflightMissingAllowOriginHeader},
		{name: "two ACAO lines", method: "PUT", status: 204, resp: []string{"Access-Control-Allow-Origin", page, "Access-Control-Allow-Origin", page}, want: browser.PreflightMultipleAllowOriginValues},
		{name: "invalid ACAO", method: "PUT", status: 204, resp: []string{"Access-Control-Allow-Origin", "app.example.com"}, want: browser.PreflightInvalidAllowOriginValue},
		{name: "ACAO mismatch", method: "PUT", status: 204, resp: []string{"Access-Control-Allow-Origin", "https://evil.example"}, want: browser.PreflightAllowOriginMismatch},
		{name: "credentialed preflight needs ACAC", method: "PUT", credentials: true, status: 204, resp: with(ok, "Access-Control-Allow-Methods", "PUT"), want: browser.PreflightInvalidAllowCredentials},
		{name: "credentialed preflight refuses star", method: "PUT", credentials: true, status: 204, resp: []string{"Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "PUT"}, want: browser.PreflightWildcardOriginNotAllowed},
		{name: "credentialed preflight passes", method: "PUT", credentials: true, status: 204, resp: with(okCred, "Access-Control-Allow-Methods", "PUT")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, page, tt.method, tt.header, tt.credentials)
			err := browser.CheckPreflight(req, response(tt.status, tt.resp...))
			if got := code(t, err); got != tt.want {
				t.Fatalf("CheckPreflight code = %q; want %q (%v)", got, tt.want, err)
			}
			if tt.wantValue != "" {
				if e := err.(*browser.Error); e.Value != tt.wantValue {
					t.Errorf("Value = %q; want %q", e.Value, tt.wantValue)
				}
			}
		})
	}
}

// TestMessages pins the exact console texts a developer will search for.
func TestMessages(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		header      http.Header
		credentials bool
		initiator   browser.Initiator
		preflight   bool
		resp        *http.Response
		chrome      string
		firefoxKey  string
		firefox     string
		fix         string
		config      string
	}{
		{
			name: "missing ACAO", method: "GET", resp: response(200),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
			firefoxKey: "CORSMissingAllowOrigin2",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.",
			fix:        "Access-Control-Allow-Origin: https://app.example.com",
			config:     "allow_origins: [https://app.example.com]",
		},
		{
			name: "two ACAO lines", method: "GET", resp: response(200, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Origin", page),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'https://app.example.com, https://app.example.com', but only one is allowed. Have the server send the header with a valid value.",
			firefoxKey: "CORSMultipleAllowOriginNotAllowed",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
			config:     "allow_origins: [https://app.example.com]\nmode: gateway",
		},
		{
			name: "mismatch from XMLHttpRequest", method: "GET", initiator: browser.XMLHttpRequest, resp: response(200, "Access-Control-Allow-Origin", page+"/"),
			chrome:     "Access to XMLHttpRequest at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'https://app.example.com/' that is not equal to the supplied origin.",
			firefoxKey: "CORSAllowOriginNotMatchingOrigin",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘https://app.example.com/’).",
		},
		{
			name: "invalid ACAO with control byte", method: "GET", resp: response(200, "Access-Control-Allow-Origin", "a\x01b"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains the invalid value 'a\\u0001b'. Have the server send the header with a valid value.",
			firefoxKey: "CORSAllowOriginNotMatchingOrigin",
		},
		{
			name: "wildcard with credentials", method: "GET", credentials: true, resp: response(200, "Access-Control-Allow-Origin", "*"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
			firefoxKey: "CORSNotSupportingCredentials",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘https://api.example.com/v1/items’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
			fix:        "Access-Control-Allow-Origin: https://app.example.com with Access-Control-Allow-Credentials: true",
			config:     "allow_origins: [https://app.example.com]\nallow_credentials: true",
		},
		{
			name: "ACAC from XMLHttpRequest", method: "GET", credentials: true, initiator: browser.XMLHttpRequest, resp: response(200, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "True"),
			chrome:     "Access to XMLHttpRequest at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
			firefoxKey: "CORSMissingAllowCredentials",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
			fix:        "Access-Control-Allow-Credentials: true",
			config:     "allow_credentials: true",
		},
		{
			name: "preflight without ACAO on 404", method: "PUT", preflight: true, resp: response(404),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
			firefoxKey: "CORSPreflightDidNotSucceed3",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: CORS preflight response did not succeed). Status code: 404.",
			fix:        "204, Access-Control-Allow-Origin: https://app.example.com, Access-Control-Allow-Methods: PUT",
			config:     "allow_origins: [https://app.example.com]\nallow_methods: [PUT]",
		},
		{
			name: "preflight status", method: "PUT", preflight: true, resp: response(401, "Access-Control-Allow-Origin", "*"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
			firefoxKey: "CORSPreflightDidNotSucceed3",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: CORS preflight response did not succeed). Status code: 401.",
		},
		{
			name: "preflight redirect", method: "PUT", preflight: true, resp: response(301, "Location", "https://api.example.com/v1/items/"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
			firefoxKey: "CORSExternalRedirectNotAllowed",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: CORS request external redirect not allowed).",
		},
		{
			name: "method", method: "DELETE", preflight: true, resp: response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "GET, PUT"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
			firefoxKey: "CORSMethodNotFound",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
			fix:        "Access-Control-Allow-Methods: GET, PUT, DELETE",
			config:     "allow_methods: [GET, PUT, DELETE]",
		},
		{
			name: "header", method: "GET", header: header("X-Foo", "1", "Content-Type", "application/json"), preflight: true, resp: response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "content-type"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.",
			firefoxKey: "CORSMissingAllowHeaderFromPreflight2",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: header ‘x-foo’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
			fix:        "Access-Control-Allow-Headers: content-type, X-Foo",
			config:     "allow_headers: [content-type, X-Foo]",
		},
		{
			name: "authorization under star with credentials", method: "GET", header: header("Authorization", "Bearer t"), credentials: true, preflight: true,
			resp:       response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Headers", "*"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response.",
			firefoxKey: "CORSMissingAllowHeaderFromPreflight2",
			config:     `allow_headers: [Authorization]`,
		},
		{
			name: "unparsable ACAH", method: "GET", header: header("X-Foo", "1"), preflight: true, resp: response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "x-foo, x bar"),
			chrome:     "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
			firefoxKey: "CORSInvalidAllowHeader",
			firefox:    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/v1/items. (Reason: invalid token ‘x bar’ in CORS header ‘Access-Control-Allow-Headers’).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, page, tt.method, tt.header, tt.credentials)
			req.Initiator = tt.initiator
			var err error
			if tt.preflight {
				err = browser.CheckPreflight(req, tt.resp)
			} else {
				err = browser.CheckResponse(req, tt.resp)
			}
			code(t, err)
			if err == nil {
				t.Fatal("no error")
			}
			e := err.(*browser.Error)
			if e.Message != tt.chrome || e.Error() != tt.chrome {
				t.Errorf("Chrome message:\n got %s\nwant %s", e.Message, tt.chrome)
			}
			if e.FirefoxKey != tt.firefoxKey {
				t.Errorf("FirefoxKey = %s; want %s", e.FirefoxKey, tt.firefoxKey)
			}
			if tt.firefox != "" && e.FirefoxMessage != tt.firefox {
				t.Errorf("Firefox message:\n got %s\nwant %s", e.FirefoxMessage, tt.firefox)
			}
			if e.Cause == "" || e.Fix == "" {
				t.Errorf("Cause %q, Fix %q; want both", e.Cause, e.Fix)
			}
			if !strings.Contains(e.Fix, tt.fix) {
				t.Errorf("Fix = %q; want it to contain %q", e.Fix, tt.fix)
			}
			if tt.config != "" && e.Config != tt.config {
				t.Errorf("Config = %q; want %q", e.Config, tt.config)
			}
		})
	}
}

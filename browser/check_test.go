package browser_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

// response builds a response with the given status and header pairs; a
// repeated name adds a header line.
func response(status int, kv ...string) *http.Response {
	return &http.Response{StatusCode: status, Header: header(kv...)}
}

// code returns the Code of err, "" for nil; it fails the test on an error
// that is not an *Error.
func code(t *testing.T, err error) browser.Code {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *browser.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	return e.Code
}

// TestCheckResponseAllowOrigin follows web-platform-tests cors/origin.htm:
// the Access-Control-Allow-Origin grammar, for a page on
// https://app.example.com without credentials.
func TestCheckResponseAllowOrigin(t *testing.T) {
	tests := []struct {
		name  string
		acao  []string
		want  browser.Code
		value string
	}{
		{name: "star", acao: []string{"*"}},
		{name: "star with spaces", acao: []string{" *  "}},
		{name: "star with tab", acao: []string{"\t*"}},
		{name: "exact origin", acao: []string{page}},
		{name: "exact origin with spaces and tabs", acao: []string{" \t" + page + "\t "}},
		{name: "missing", want: browser.MissingAllowOriginHeader},
		{name: "trailing slash", acao: []string{page + "/"}, want: browser.AllowOriginMismatch, value: page + "/"},
		{name: "upper-case host", acao: []string{"https://APP.example.com"}, want: browser.AllowOriginMismatch},
		{name: "upper-case scheme", acao: []string{"HTTPS://app.example.com"}, want: browser.AllowOriginMismatch},
		{name: "default port", acao: []string{page + ":443"}, want: browser.AllowOriginMismatch},
		{name: "other scheme", acao: []string{"http://app.example.com"}, want: browser.AllowOriginMismatch},
		{name: "ftp", acao: []string{"ftp://app.example.com"}, want: browser.AllowOriginMismatch},
		{name: "subdomain", acao: []string{"https://sub.app.example.com"}, want: browser.AllowOriginMismatch},
		{name: "query", acao: []string{page + "?"}, want: browser.AllowOriginMismatch},
		{name: "fragment", acao: []string{page + "#"}, want: browser.AllowOriginMismatch},
		{name: "full page URL", acao: []string{page + "/index.html"}, want: browser.AllowOriginMismatch},
		{name: "null", acao: []string{"null"}, want: browser.AllowOriginMismatch, value: "null"},
		{name: "scheme-relative", acao: []string{"//app.example.com"}, want: browser.InvalidAllowOriginValue},
		{name: "colon-slash-slash", acao: []string{"://app.example.com"}, want: browser.InvalidAllowOriginValue},
		{name: "host alone", acao: []string{"app.example.com"}, want: browser.InvalidAllowOriginValue},
		{name: "percent-encoded hash", acao: []string{"%23"}, want: browser.InvalidAllowOriginValue},
		{name: "double star", acao: []string{"**"}, want: browser.InvalidAllowOriginValue},
		{name: "single-quoted star", acao: []string{"'*'"}, want: browser.InvalidAllowOriginValue},
		{name: "double-quoted star", acao: []string{`"*"`}, want: browser.InvalidAllowOriginValue},
		{name: "empty", acao: []string{""}, want: browser.InvalidAllowOriginValue},
		{name: "star star", acao: []string{"* *"}, want: browser.MultipleAllowOriginValues, value: "* *"},
		{name: "star, origin", acao: []string{"*, " + page}, want: browser.MultipleAllowOriginValues},
		{name: "origin, star", acao: []string{page + ", *"}, want: browser.MultipleAllowOriginValues},
		{name: "two lines star", acao: []string{"*", "*"}, want: browser.MultipleAllowOriginValues, value: "*, *"},
		{name: "two identical origin lines", acao: []string{page, page}, want: browser.MultipleAllowOriginValues, value: page + ", " + page},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, page, "GET", nil, false)
			resp := response(200)
			for _, v := range tt.acao {
				resp.Header.Add("Access-Control-Allow-Origin", v)
			}
			err := browser.CheckResponse(req, resp)
			if got := code(t, err); got != tt.want {
				t.Fatalf("CheckResponse code = %q; want %q (%v)", got, tt.want, err)
			}
			if tt.value != "" {
				if e := err.(*browser.Error); e.Value != tt.value {
					t.Errorf("Value = %q; want %q", e.Value, tt.value)
				}
			}
		})
	}
}

// TestCheckResponseCredentials follows the Fetch standard's "CORS protocol
// and credentials" table and web-platform-tests cors/credentials-flag.htm.
func TestCheckResponseCredentials(t *testing.T) {
	tests := []struct {
		name        string
		credentials bool
		acao        string
		acac        []string
		want        browser.Code
	}{
		{name: "omit, star", acao: "*"},
		{name: "omit, star, ACAC ignored", acao: "*", acac: []string{"true"}},
		{name: "omit, exact", acao: page},
		{name: "omit, exact, bad ACAC ignored", acao: page, acac: []string{"TRUE"}},
		{name: "include, star", credentials: true, acao: "*", acac: []string{"true"}, want: browser.WildcardOriginNotAllowed},
		{name: "include, exact, true", credentials: true, acao: page, acac: []string{"true"}},
		{name: "include, exact, true with spaces", credentials: true, acao: page, acac: []string{" true "}},
		{name: "include, exact, no ACAC", credentials: true, acao: page, want: browser.InvalidAllowCredentials},
		{name: "include, exact, True", credentials: true, acao: page, acac: []string{"True"}, want: browser.InvalidAllowCredentials},
		{name: "include, exact, TRUE", credentials: true, acao: page, acac: []string{"TRUE"}, want: browser.InvalidAllowCredentials},
		{name: "include, exact, quoted", credentials: true, acao: page, acac: []string{`"true"`}, want: browser.InvalidAllowCredentials},
		{name: "include, exact, 1", credentials: true, acao: page, acac: []string{"1"}, want: browser.InvalidAllowCredentials},
		{name: "include, exact, false", credentials: true, acao: page, acac: []string{"false"}, want: browser.InvalidAllowCredentials},
		{name: "include, exact, two true lines", credentials: true, acao: page, acac: []string{"true", "true"}, want: browser.InvalidAllowCredentials},
		{name: "include, trailing slash", credentials: true, acao: page + "/", acac: []string{"true"}, want: browser.AllowOriginMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, page, "GET", nil, tt.credentials)
			resp := response(200, "Access-Control-Allow-Origin", tt.acao)
			for _, v := range tt.acac {
				resp.Header.Add("Access-Control-Allow-Credentials", v)
			}
			if got := code(t, browser.CheckResponse(req, resp)); got != tt.want {
				t.Fatalf("CheckResponse code = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestCheckResponseAnyStatusAndSameOrigin(t *testing.T) {
	for _, status := range []int{200, 204, 401, 404, 500, 599} {
		req := newRequest(t, api, page, "GET", nil, false)
		if err := browser.CheckResponse(req, response(status, "Access-Control-Allow-Origin", page)); err != nil {
			t.Errorf("status %d with ACAO: %v; want delivered", status, err)
		}
		if got := code(t, browser.CheckResponse(req, response(status))); got != browser.MissingAllowOriginHeader {
			t.Errorf("status %d without ACAO: %q; want MissingAllowOriginHeader", status, got)
		}
	}
	same := newRequest(t, page+"/data", page, "GET", nil, true)
	if err := browser.CheckResponse(same, response(200)); err != nil {
		t.Errorf("same-origin response without ACAO: %v; want no CORS check", err)
	}
	opaque := newRequest(t, api, "null", "GET", nil, false)
	for acao, want := range map[string]browser.Code{"null": "", "*": "", page: browser.AllowOriginMismatch} {
		if got := code(t, browser.CheckResponse(opaque, response(200, "Access-Control-Allow-Origin", acao))); got != want {
			t.Errorf("Origin null, ACAO %q: %q; want %q", acao, got, want)
		}
	}
}

func TestExposedHeaders(t *testing.T) {
	resp := func(aceh ...string) *http.Response {
		r := response(200, "Content-Type", "text/plain", "Content-Length", "3", "Cache-Control", "no-store",
			"X-Request-Id", "1", "Server", "s", "Set-Cookie", "a=b", "Set-Cookie2", "c=d", "Access-Control-Allow-Origin", "*")
		for _, v := range aceh {
			r.Header.Add("Access-Control-Expose-Headers", v)
		}
		return r
	}
	tests := []struct {
		name        string
		url         string
		credentials bool
		resp        *http.Response
		want        string
	}{
		{name: "safelisted only", resp: resp(), want: "Cache-Control,Content-Length,Content-Type"},
		{name: "listed in any case", resp: resp("x-request-ID"), want: "Cache-Control,Content-Length,Content-Type,X-Request-Id"},
		{name: "several lines combine", resp: resp("x-request-id", "server"), want: "Cache-Control,Content-Length,Content-Type,Server,X-Request-Id"},
		{name: "set-cookie never", resp: resp("Set-Cookie, set-cookie2"), want: "Cache-Control,Content-Length,Content-Type"},
		{name: "star without credentials", resp: resp("*"), want: "Access-Control-Allow-Origin,Access-Control-Expose-Headers,Cache-Control,Content-Length,Content-Type,Server,X-Request-Id"},
		{name: "star among names", resp: resp("*, set-cookie"), want: "Access-Control-Allow-Origin,Access-Control-Expose-Headers,Cache-Control,Content-Length,Content-Type,Server,X-Request-Id"},
		{name: "star with credentials is a name", credentials: true, resp: resp("*"), want: "Cache-Control,Content-Length,Content-Type"},
		{name: "unparsable list exposes nothing", resp: resp("x-request-id, bad name"), want: "Cache-Control,Content-Length,Content-Type"},
		{name: "same-origin sees all but Set-Cookie", url: page + "/", resp: resp(), want: "Access-Control-Allow-Origin,Cache-Control,Content-Length,Content-Type,Server,X-Request-Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = api
			}
			got := strings.Join(browser.ExposedHeaders(newRequest(t, url, page, "GET", nil, tt.credentials), tt.resp), ",")
			if got != tt.want {
				t.Errorf("ExposedHeaders = %s\nwant             %s", got, tt.want)
			}
		})
	}
}

package browser_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

const (
	originA = page // the page's origin
	originB = "https://b.test"
	originC = "https://c.test"
)

// follow starts a request at urls[0] and follows a 302 to each next URL,
// every hop answering Access-Control-Allow-Origin: *.
func follow(t *testing.T, method string, h http.Header, urls ...string) *browser.Request {
	t.Helper()
	req := newRequest(t, urls[0], page, method, h, false)
	for _, next := range urls[1:] {
		n, err := browser.Redirect(req, response(302, "Location", next, "Access-Control-Allow-Origin", "*"))
		if err != nil || n == nil {
			t.Fatalf("Redirect to %s = %v, %v", next, n, err)
		}
		req = n
	}
	return req
}

// TestRedirectTaint follows web-platform-tests fetch/api/cors/cors-redirect:
// the origin becomes null after a hop that leaves a foreign origin for
// another origin.
func TestRedirectTaint(t *testing.T) {
	tests := []struct {
		name        string
		urls        []string
		wantOrigin  string
		wantCORS    bool
		wantPreflit bool
	}{
		{name: "A to A", urls: []string{originA + "/1", originA + "/2"}, wantOrigin: originA},
		{name: "A to B", urls: []string{originA + "/1", originB + "/2"}, wantOrigin: originA, wantCORS: true},
		{name: "A to A to B", urls: []string{originA + "/1", originA + "/2", originB + "/3"}, wantOrigin: originA, wantCORS: true},
		{name: "A to B to B", urls: []string{originA + "/1", originB + "/2", originB + "/3"}, wantOrigin: originA, wantCORS: true},
		{name: "A to B to C", urls: []string{originA + "/1", originB + "/2", originC + "/3"}, wantOrigin: "null", wantCORS: true},
		{name: "A to B to A", urls: []string{originA + "/1", originB + "/2", originA + "/3"}, wantOrigin: "null", wantCORS: true},
		{name: "B to C", urls: []string{originB + "/1", originC + "/2"}, wantOrigin: "null", wantCORS: true},
		{name: "B to A", urls: []string{originB + "/1", originA + "/2"}, wantOrigin: "null", wantCORS: true},
		{name: "taint sticks", urls: []string{originB + "/1", originC + "/2", originC + "/3"}, wantOrigin: "null", wantCORS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := follow(t, "GET", nil, tt.urls...)
			if got := req.SerializedOrigin(); got != tt.wantOrigin {
				t.Errorf("SerializedOrigin = %q; want %q", got, tt.wantOrigin)
			}
			if got := req.CrossOrigin(); got != tt.wantCORS {
				t.Errorf("CrossOrigin = %v; want %v", got, tt.wantCORS)
			}
			ar, err := browser.ActualRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantCORS && ar.Header.Get("Origin") != tt.wantOrigin {
				t.Errorf("Origin header = %q; want %q", ar.Header.Get("Origin"), tt.wantOrigin)
			}
			if req.InitialURL().String() != tt.urls[0] || req.URL.String() != tt.urls[len(tt.urls)-1] {
				t.Errorf("InitialURL, URL = %s, %s", req.InitialURL(), req.URL)
			}
		})
	}
}

func TestRedirectRewritesRequest(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		status     int
		location   string
		wantMethod string
		wantCT     string
		wantAuth   string
	}{
		{name: "301 POST becomes GET", method: "POST", status: 301, location: "/next", wantMethod: "GET", wantAuth: "Bearer t"},
		{name: "302 POST becomes GET", method: "POST", status: 302, location: "/next", wantMethod: "GET", wantAuth: "Bearer t"},
		{name: "303 PUT becomes GET", method: "PUT", status: 303, location: "/next", wantMethod: "GET", wantAuth: "Bearer t"},
		{name: "302 PUT stays", method: "PUT", status: 302, location: "/next", wantMethod: "PUT", wantCT: "text/plain", wantAuth: "Bearer t"},
		{name: "303 HEAD stays", method: "HEAD", status: 303, location: "/next", wantMethod: "HEAD", wantCT: "text/plain", wantAuth: "Bearer t"},
		{name: "307 POST stays", method: "POST", status: 307, location: "/next", wantMethod: "POST", wantCT: "text/plain", wantAuth: "Bearer t"},
		{name: "308 cross-origin drops Authorization", method: "POST", status: 308, location: originC + "/next", wantMethod: "POST", wantCT: "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, page, tt.method, header("Content-Type", "text/plain", "Authorization", "Bearer t"), false)
			next, err := browser.Redirect(req, response(tt.status, "Location", tt.location, "Access-Control-Allow-Origin", "*"))
			if err != nil || next == nil {
				t.Fatalf("Redirect = %v, %v", next, err)
			}
			if next.Method != tt.wantMethod || next.Header.Get("Content-Type") != tt.wantCT || next.Header.Get("Authorization") != tt.wantAuth {
				t.Errorf("next = %s, Content-Type %q, Authorization %q; want %s, %q, %q", next.Method, next.Header.Get("Content-Type"), next.Header.Get("Authorization"), tt.wantMethod, tt.wantCT, tt.wantAuth)
			}
			if req.Method != tt.method || req.Header.Get("Authorization") == "" {
				t.Error("Redirect changed the original request")
			}
		})
	}
}

func TestRedirectFailures(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		resp   *http.Response
		want   browser.Code
		chrome string
	}{
		{name: "redirect must pass the CORS check", url: api, resp: response(302, "Location", originB+"/"), want: browser.MissingAllowOriginHeader},
		{name: "redirect with credentials mismatch", url: api, resp: response(302, "Location", originB+"/", "Access-Control-Allow-Origin", originB), want: browser.AllowOriginMismatch},
		{name: "ftp location", url: api, resp: response(302, "Location", "ftp://b.test/", "Access-Control-Allow-Origin", "*"), want: browser.CorsDisabledScheme,
			chrome: "Access to fetch at 'ftp://b.test/' (redirected from 'https://api.example.com/v1/items') from origin 'https://app.example.com' has been blocked by CORS policy: Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app."},
		{name: "javascript location", url: api, resp: response(302, "Location", "javascript:1", "Access-Control-Allow-Origin", "*"), want: browser.CorsDisabledScheme},
		{name: "data location", url: api, resp: response(307, "Location", "data:text/plain,x", "Access-Control-Allow-Origin", "*"), want: browser.UnsafeRedirect,
			chrome: "GET https://api.example.com/v1/items net::ERR_UNSAFE_REDIRECT"},
		{name: "file location", url: api, resp: response(302, "Location", "file:///etc/passwd", "Access-Control-Allow-Origin", "*"), want: browser.UnsafeRedirect},
		{name: "blob location", url: api, resp: response(302, "Location", "blob:https://app.example.com/x", "Access-Control-Allow-Origin", "*"), want: browser.UnsafeRedirect},
		{name: "about location", url: api, resp: response(302, "Location", "about:blank", "Access-Control-Allow-Origin", "*"), want: browser.UnsafeRedirect},
		{name: "the CORS check comes before the scheme", url: api, resp: response(302, "Location", "data:text/plain,x"), want: browser.MissingAllowOriginHeader},
		{name: "cross-origin user:pass", url: api, resp: response(302, "Location", "https://user:pass@b.test/", "Access-Control-Allow-Origin", "*"), want: browser.RedirectContainsCredentials,
			chrome: "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests."},
		{name: "cross-origin user only", url: api, resp: response(302, "Location", "https://user@b.test/", "Access-Control-Allow-Origin", "*"), want: browser.RedirectContainsCredentials},
		{name: "cross-origin password only", url: api, resp: response(302, "Location", "https://:pass@b.test/", "Access-Control-Allow-Origin", "*"), want: browser.RedirectContainsCredentials},
		{name: "cross-origin empty userinfo", url: api, resp: response(302, "Location", "https://@b.test/", "Access-Control-Allow-Origin", "*")},
		{name: "userinfo to the page's origin during CORS", url: api, resp: response(302, "Location", "https://u:p@app.example.com/", "Access-Control-Allow-Origin", "*"), want: browser.RedirectContainsCredentials},
		{name: "userinfo within the page's origin", url: page + "/a", resp: response(302, "Location", "https://u:p@app.example.com/b")},
		{name: "unparsable location", url: api, resp: response(302, "Location", "https://b.test/%zz", "Access-Control-Allow-Origin", "*"), want: browser.InvalidRedirect,
			chrome: "GET https://api.example.com/v1/items net::ERR_INVALID_REDIRECT"},
		{name: "an unparsable location fails before the CORS check", url: api, resp: response(302, "Location", "http://[::1"), want: browser.InvalidRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.url, page, "GET", nil, false)
			_, err := browser.Redirect(req, tt.resp)
			if got := code(t, err); got != tt.want {
				t.Fatalf("Redirect code = %q; want %q (%v)", got, tt.want, err)
			}
			if tt.chrome != "" && err.Error() != tt.chrome {
				t.Errorf("Chrome message:\n got %s\nwant %s", err, tt.chrome)
			}
		})
	}
}

func TestRedirectNotARedirect(t *testing.T) {
	req := newRequest(t, api, page, "GET", nil, false)
	for _, resp := range []*http.Response{
		response(200, "Location", "/x"),
		response(304, "Location", "/x"),
		response(300, "Location", "/x"),
		response(302),
	} {
		next, err := browser.Redirect(req, resp)
		if next != nil || err != nil {
			t.Errorf("status %d, Location %q: Redirect = %v, %v; want nil, nil", resp.StatusCode, resp.Header.Get("Location"), next, err)
		}
	}
}

func TestRedirectLimit(t *testing.T) {
	req := newRequest(t, originB+"/0", page, "GET", nil, false)
	for i := 1; i <= browser.MaxRedirects; i++ {
		next, err := browser.Redirect(req, response(302, "Location", fmt.Sprintf("/%d", i), "Access-Control-Allow-Origin", "*"))
		if err != nil {
			t.Fatalf("redirect %d: %v", i, err)
		}
		req = next
	}
	if req.Redirects() != browser.MaxRedirects {
		t.Errorf("Redirects = %d; want %d", req.Redirects(), browser.MaxRedirects)
	}
	// The limit is checked before the CORS check: a 21st redirect without
	// CORS headers still fails as one redirect too many.
	for _, resp := range []*http.Response{
		response(302, "Location", "/21", "Access-Control-Allow-Origin", "*"),
		response(302, "Location", "/21"),
	} {
		_, err := browser.Redirect(req, resp)
		if got := code(t, err); got != browser.TooManyRedirects {
			t.Fatalf("redirect 21 with headers %v: %q; want TooManyRedirects", resp.Header, got)
		}
	}
}

func TestRedirectedMessageNamesBothURLs(t *testing.T) {
	req := follow(t, "GET", nil, api, originB+"/final")
	err := browser.CheckResponse(req, response(200, "Access-Control-Allow-Origin", "https://b.test"))
	want := "Access to fetch at 'https://b.test/final' (redirected from 'https://api.example.com/v1/items') from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'https://b.test' that is not equal to the supplied origin. Have the server send the header with a valid value."
	if err == nil || err.Error() != want {
		t.Errorf("message:\n got %v\nwant %s", err, want)
	}
}

func TestRedirectNeedsNewPreflight(t *testing.T) {
	req := follow(t, "PUT", header("X-Foo", "1"), api, originB+"/2", originC+"/3")
	needed, headers, err := browser.NeedsPreflight(req)
	if err != nil || !needed || headers != "x-foo" {
		t.Fatalf("NeedsPreflight after redirect = %v, %q, %v; want true, x-foo", needed, headers, err)
	}
	pr, err := browser.PreflightRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := pr.Header.Get("Origin"); got != "null" {
		t.Errorf("preflight Origin = %q; want null after the tainting hop", got)
	}
	err = browser.CheckPreflight(req, response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-foo"))
	if got := code(t, err); got != browser.PreflightAllowOriginMismatch {
		t.Errorf("preflight allowing the page's origin after taint: %q; want PreflightAllowOriginMismatch", got)
	}
}

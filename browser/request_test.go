package browser_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

func TestNewRequestRefusesWhatScriptsCannotSend(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		origin  string
		method  string
		header  http.Header
		wantErr string
	}{
		{name: "cookie", header: header("Cookie", "a=b"), wantErr: "Cookie is a forbidden request header"},
		{name: "host", header: header("host", "x"), wantErr: "Host is a forbidden"},
		{name: "origin", header: header("Origin", page), wantErr: "Origin is a forbidden"},
		{name: "content-length", header: header("Content-Length", "1"), wantErr: "forbidden"},
		{name: "sec- prefix", header: header("Sec-Fetch-Site", "same-origin"), wantErr: "forbidden"},
		{name: "proxy- prefix", header: header("Proxy-Authorization", "x"), wantErr: "forbidden"},
		{name: "access-control-request-headers", header: header("Access-Control-Request-Headers", "x"), wantErr: "forbidden"},
		{name: "method override to TRACE", header: header("X-HTTP-Method-Override", "GET, trace"), wantErr: "X-Http-Method-Override is a forbidden"},
		{name: "method CONNECT", method: "connect", wantErr: "method connect is forbidden"},
		{name: "method TRACK", method: "TRACK", wantErr: "forbidden"},
		{name: "method not a token", method: "GE T", wantErr: "not a valid method"},
		{name: "header name not a token", header: header("X Foo", "1"), wantErr: "not a valid header name"},
		{name: "header value with newline", header: header("X-Foo", "a\nb"), wantErr: "NUL, CR or LF"},
		{name: "ftp URL", url: "ftp://api.example/", wantErr: "only http and https"},
		{name: "URL with credentials", url: "https://u:p@api.example/", wantErr: "username or password"},
		{name: "origin with path", origin: "https://app.example.com/", wantErr: `did you mean "https://app.example.com"`},
		{name: "origin upper case", origin: "https://App.example.com", wantErr: "not serialized"},
		{name: "origin default port", origin: "https://app.example.com:443", wantErr: "not serialized"},
		{name: "origin without scheme", origin: "app.example", wantErr: "not scheme://host"},
		{name: "empty origin", origin: "", wantErr: "no origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, origin, method := api, page, "GET"
			if tt.url != "" {
				url = tt.url
			}
			if tt.origin != "" || tt.name == "empty origin" {
				origin = tt.origin
			}
			if tt.method != "" {
				method = tt.method
			}
			_, err := browser.NewRequest(url, origin, method, tt.header, false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewRequest error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewRequestAccepts(t *testing.T) {
	tests := []struct {
		name, origin, method string
		header               http.Header
		wantMethod           string
	}{
		{name: "null origin", origin: "null", method: "GET", wantMethod: "GET"},
		{name: "origin with port", origin: "http://localhost:3000", method: "GET", wantMethod: "GET"},
		{name: "IPv6 origin", origin: "http://[::1]:8080", method: "GET", wantMethod: "GET"},
		{name: "delete normalised", origin: page, method: "delete", wantMethod: "DELETE"},
		{name: "patch kept", origin: page, method: "patch", wantMethod: "patch"},
		{name: "empty method is GET", origin: page, wantMethod: "GET"},
		{name: "method override to PATCH is fine", origin: page, method: "POST", header: header("X-HTTP-Method-Override", "PATCH"), wantMethod: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, api, tt.origin, tt.method, tt.header, false)
			if req.Method != tt.wantMethod {
				t.Errorf("Method = %q; want %q", req.Method, tt.wantMethod)
			}
		})
	}
}

func TestPreflightRequest(t *testing.T) {
	req := newRequest(t, api+"?q=1#frag", page, "PUT", header("X-Foo", "1", "Content-Type", "application/json", "Authorization", "Bearer t"), true)
	pr, err := browser.PreflightRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Origin":                         page,
		"Access-Control-Request-Method":  "PUT",
		"Access-Control-Request-Headers": "authorization,content-type,x-foo",
		"Accept":                         "*/*",
		"Sec-Fetch-Mode":                 "cors",
		"Sec-Fetch-Site":                 "same-site",
		"Authorization":                  "",
		"X-Foo":                          "",
		"Cookie":                         "",
	}
	if pr.Method != "OPTIONS" || pr.URL.String() != api+"?q=1" {
		t.Errorf("preflight is %s %s; want OPTIONS %s?q=1", pr.Method, pr.URL, api)
	}
	for name, v := range want {
		if got := pr.Header.Get(name); got != v {
			t.Errorf("%s = %q; want %q", name, got, v)
		}
	}

	simple := newRequest(t, "https://other.test/", page, "GET", nil, false)
	pr, err = browser.PreflightRequest(simple)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pr.Header["Access-Control-Request-Headers"]; ok {
		t.Error("Access-Control-Request-Headers sent without unsafe headers")
	}
	if got := pr.Header.Get("Access-Control-Request-Method"); got != "GET" {
		t.Errorf("Access-Control-Request-Method = %q; want GET (always sent)", got)
	}
	if got := pr.Header.Get("Sec-Fetch-Site"); got != "cross-site" {
		t.Errorf("Sec-Fetch-Site = %q; want cross-site", got)
	}
}

func TestActualRequest(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		method     string
		header     http.Header
		wantOrigin string
		wantAccept string
	}{
		{name: "cross-origin GET carries Origin", url: api, method: "GET", wantOrigin: page, wantAccept: "*/*"},
		{name: "same-origin GET has no Origin", url: page + "/x", method: "GET", wantAccept: "*/*"},
		{name: "same-origin POST carries Origin", url: page + "/x", method: "POST", wantOrigin: page, wantAccept: "*/*"},
		{name: "script's Accept kept, values on one line", url: api, method: "GET", header: header("Accept", "a/b", "Accept", "c/d"), wantOrigin: page, wantAccept: "a/b, c/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := browser.ActualRequest(newRequest(t, tt.url, page, tt.method, tt.header, false))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Origin"); got != tt.wantOrigin {
				t.Errorf("Origin = %q; want %q", got, tt.wantOrigin)
			}
			if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != tt.wantAccept {
				t.Errorf("Accept = %q; want one line %q", got, tt.wantAccept)
			}
		})
	}
}

// TestFetchMetadata follows Chromium (156): the Sec-Fetch-* headers go only
// to a potentially trustworthy URL, except a preflight's Sec-Fetch-Mode,
// which goes everywhere.
func TestFetchMetadata(t *testing.T) {
	const origin = "http://app.example.test"
	tests := []struct {
		url string
		// wantSite is the actual request's Sec-Fetch-Site, "" for none.
		wantSite string
	}{
		{"http://api.example.test/x", ""},
		{"https://api.example.test/x", "cross-site"},
		{"http://127.0.0.1:8080/x", "cross-site"},
		{"http://127.0.0.2/x", "cross-site"},
		{"http://[::1]:8080/x", "cross-site"},
		{"http://localhost:8080/x", "cross-site"},
		{"http://api.LOCALHOST/x", "cross-site"},
		{"http://localhost.example.test/x", ""},
		{"http://10.0.0.1/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			req := newRequest(t, tt.url, origin, "PUT", nil, false)
			actual, err := browser.ActualRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			preflight, err := browser.PreflightRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			wantMode, wantDest := "", ""
			if tt.wantSite != "" {
				wantMode, wantDest = "cors", "empty"
			}
			for _, c := range []struct {
				name             string
				h                http.Header
				mode, site, dest string
			}{
				{"actual", actual.Header, wantMode, tt.wantSite, wantDest},
				{"preflight", preflight.Header, "cors", tt.wantSite, wantDest},
			} {
				got := [3]string{c.h.Get("Sec-Fetch-Mode"), c.h.Get("Sec-Fetch-Site"), c.h.Get("Sec-Fetch-Dest")}
				if want := [3]string{c.mode, c.site, c.dest}; got != want {
					t.Errorf("%s: Sec-Fetch-Mode, -Site, -Dest = %q; want %q", c.name, got, want)
				}
			}
		})
	}
}

package browser_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

const (
	page = "https://app.example.com"
	api  = "https://api.example.com/v1/items"
)

// newRequest builds a request or stops the test.
func newRequest(t testing.TB, rawURL, origin, method string, header http.Header, credentials bool) *browser.Request {
	t.Helper()
	req, err := browser.NewRequest(rawURL, origin, method, header, credentials)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return req
}

// header builds an http.Header from name, value pairs; a repeated name
// adds a value.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestNeedsPreflight(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		name        string
		url         string
		method      string
		header      http.Header
		wantNeeded  bool
		wantHeaders string
	}{
		{name: "GET without headers", method: "GET"},
		{name: "HEAD", method: "HEAD"},
		{name: "POST text/plain", method: "POST", header: header("Content-Type", "text/plain")},
		{name: "lower-case get is normalised", method: "get"},
		{name: "same-origin PUT", url: page + "/x", method: "PUT", header: header("X-Foo", "1")},
		{name: "PUT", method: "PUT", wantNeeded: true},
		{name: "DELETE", method: "DELETE", wantNeeded: true},
		{name: "patch is sent as written", method: "patch", wantNeeded: true},
		{name: "custom method", method: "NEW", wantNeeded: true},
		{name: "OPTIONS", method: "OPTIONS", wantNeeded: true},
		{name: "custom header", method: "GET", header: header("X-Foo", "1"), wantNeeded: true, wantHeaders: "x-foo"},
		{name: "names sorted, lower-cased, deduplicated, no spaces", method: "GET",
			header:     header("X-B", "1", "x-a", "2", "X-B", "3", "Authorization", "Bearer t", "Content-Type", "application/json"),
			wantNeeded: true, wantHeaders: "authorization,content-type,x-a,x-b"},
		{name: "authorization is never safelisted", method: "GET", header: header("Authorization", "Basic x"), wantNeeded: true, wantHeaders: "authorization"},

		{name: "content-type form", method: "POST", header: header("Content-Type", "application/x-www-form-urlencoded")},
		{name: "content-type multipart with boundary", method: "POST", header: header("Content-Type", "multipart/form-data; boundary=----x")},
		{name: "content-type charset", method: "POST", header: header("Content-Type", "text/plain;charset=utf-8")},
		{name: "content-type mixed case essence", method: "POST", header: header("Content-Type", "Text/Plain;charset=utf-8")},
		{name: "content-type broken parameter is skipped", method: "POST", header: header("Content-Type", "text/plain; =x;;charset")},
		{name: "content-type json", method: "POST", header: header("Content-Type", "application/json"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type text/html", method: "POST", header: header("Content-Type", "text/html"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type space in type", method: "POST", header: header("Content-Type", "text /plain"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type list", method: "POST", header: header("Content-Type", "text/plain,x/x"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type repeated in one value", method: "POST", header: header("Content-Type", "text/plain,text/plain"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type leading comma", method: "POST", header: header("Content-Type", ",text/plain"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type vertical tab", method: "POST", header: header("Content-Type", "text/plain\v"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type unsafe byte in parameter", method: "POST", header: header("Content-Type", `text/plain; charset="utf-8"`), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type no subtype", method: "POST", header: header("Content-Type", "text/"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "content-type csp-report is no exception for scripts", method: "POST", header: header("Content-Type", "application/csp-report"), wantNeeded: true, wantHeaders: "content-type"},

		{name: "accept", method: "GET", header: header("Accept", "application/json, text/*;q=0.5")},
		{name: "accept with quote", method: "GET", header: header("Accept", `"`), wantNeeded: true, wantHeaders: "accept"},
		{name: "accept with at sign", method: "GET", header: header("Accept", "a@b"), wantNeeded: true, wantHeaders: "accept"},
		{name: "accept DEL", method: "GET", header: header("Accept", "a\x7fb"), wantNeeded: true, wantHeaders: "accept"},
		{name: "accept tab inside", method: "GET", header: header("Accept", "a\tb")},
		{name: "accept non-ASCII", method: "GET", header: header("Accept", "text/é")},
		{name: "accept 128 bytes", method: "GET", header: header("Accept", long)},
		{name: "accept 129 bytes", method: "GET", header: header("Accept", long+"a"), wantNeeded: true, wantHeaders: "accept"},
		{name: "accept-language", method: "GET", header: header("Accept-Language", "en-US,en;q=0.9, *")},
		{name: "accept-language underscore", method: "GET", header: header("Accept-Language", "en_US"), wantNeeded: true, wantHeaders: "accept-language"},
		{name: "content-language slash", method: "GET", header: header("Content-Language", "en/US"), wantNeeded: true, wantHeaders: "content-language"},

		{name: "range open", method: "GET", header: header("Range", "bytes=0-")},
		{name: "range closed", method: "GET", header: header("Range", "bytes=10-20")},
		{name: "range single byte", method: "GET", header: header("Range", "bytes=5-5")},
		{name: "range huge equal bounds", method: "GET", header: header("Range", "bytes=0099999999999999999999-99999999999999999999")},
		{name: "range suffix", method: "GET", header: header("Range", "bytes=-500"), wantNeeded: true, wantHeaders: "range"},
		{name: "range reversed", method: "GET", header: header("Range", "bytes=20-10"), wantNeeded: true, wantHeaders: "range"},
		{name: "range two ranges", method: "GET", header: header("Range", "bytes=0-1,3-4"), wantNeeded: true, wantHeaders: "range"},
		{name: "range space", method: "GET", header: header("Range", "bytes 0-"), wantNeeded: true, wantHeaders: "range"},
		{name: "range whitespace inside", method: "GET", header: header("Range", "bytes= 0-1"), wantNeeded: true, wantHeaders: "range"},
		{name: "range capitalised unit", method: "GET", header: header("Range", "Bytes=0-"), wantNeeded: true, wantHeaders: "range"},
		{name: "range other unit", method: "GET", header: header("Range", "items=0-1"), wantNeeded: true, wantHeaders: "range"},
		{name: "range empty", method: "GET", header: header("Range", "bytes=-"), wantNeeded: true, wantHeaders: "range"},

		// Chrome judges the values of one name joined with ", ".
		{name: "two short values of one name stay safelisted", method: "GET", header: header("Accept", "text/html", "Accept", "application/json")},
		{name: "two values of 100 bytes join into an unsafe one", method: "GET",
			header: header("Accept", strings.Repeat("b", 100), "Accept", strings.Repeat("c", 100)), wantNeeded: true, wantHeaders: "accept"},
		{name: "two content types join into an unparsable one", method: "POST",
			header: header("Content-Type", "text/plain", "Content-Type", "text/plain"), wantNeeded: true, wantHeaders: "content-type"},
		{name: "every safelisted name at its longest stays safelisted", method: "GET",
			header: header("Accept", long, "Accept-Language", long, "Content-Language", long, "Content-Type", "text/plain;"+strings.Repeat("a", 117), "Range", "bytes=0-")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = api
			}
			req := newRequest(t, url, page, tt.method, tt.header, false)
			needed, headers, err := browser.NeedsPreflight(req)
			if err != nil {
				t.Fatalf("NeedsPreflight: %v", err)
			}
			if needed != tt.wantNeeded || headers != tt.wantHeaders {
				t.Errorf("NeedsPreflight = %v, %q; want %v, %q", needed, headers, tt.wantNeeded, tt.wantHeaders)
			}
		})
	}
}

func TestParseMIMEType(t *testing.T) {
	tests := []struct {
		in      string
		essence string
		ok      bool
	}{
		{"text/plain", "text/plain", true},
		{" TEXT/Plain ; charset=utf-8", "text/plain", true},
		{"multipart/form-data;boundary=x;;a", "multipart/form-data", true},
		{"text/plain ;", "text/plain", true},
		{"text/plain;charset=\"a", "text/plain", true},
		{"text", "", false},
		{"/plain", "", false},
		{"text/", "", false},
		{"text /plain", "", false},
		{"text/pl ain", "", false},
		{"text/plain,x/x", "", false},
		{"te(xt/plain", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		essence, ok := browser.ParseMIMEType(tt.in)
		if essence != tt.essence || ok != tt.ok {
			t.Errorf("ParseMIMEType(%q) = %q, %v; want %q, %v", tt.in, essence, ok, tt.essence, tt.ok)
		}
	}
}

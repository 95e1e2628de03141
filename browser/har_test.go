package browser_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

// chromeAdds are headers Chromium (156) adds to every request itself, as it
// records them in a HAR export: none of them comes from the script, and
// User-Agent is not CORS-safelisted, so a check that took them for the
// script's would ask every preflight to allow it.
const chromeAdds = `
    {"name": "Accept-Encoding", "value": "gzip, deflate"},
    {"name": "Accept-Language", "value": "en-US,en;q=0.9"},
    {"name": "Connection", "value": "keep-alive"},
    {"name": "Referer", "value": "https://app.example.test/"},
    {"name": "User-Agent", "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"}`

const harExport = `{"log": {"version": "1.2", "entries": [
 {"request": {"method": "OPTIONS", "url": "https://api.example.test/users/1", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"},
    {"name": "Access-Control-Request-Method", "value": "PUT"},
    {"name": "Access-Control-Request-Headers", "value": "content-type"}]},
  "response": {"status": 204, "headers": [
    {"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"},
    {"name": "Access-Control-Allow-Methods", "value": "PUT"},
    {"name": "Access-Control-Allow-Headers", "value": "Content-Type"}]}},
 {"request": {"method": "PUT", "url": "https://api.example.test/users/1", "headers": [` + chromeAdds + `,
    {"name": ":authority", "value": "api.example.test"},
    {"name": "Origin", "value": "https://app.example.test"},
    {"name": "Content-Type", "value": "application/json"},
    {"name": "Sec-Fetch-Mode", "value": "cors"}]},
  "response": {"status": 200, "headers": [{"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"}]}},
 {"request": {"method": "GET", "url": "https://api.example.test/orders", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}, {"name": "Cookie", "value": "s=1"}]},
  "response": {"status": 200, "headers": [{"name": "Access-Control-Allow-Origin", "value": "*"}]}},
 {"request": {"method": "GET", "url": "https://app.example.test/index.js", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}]},
  "response": {"status": 200, "headers": []}},
 {"request": {"method": "DELETE", "url": "https://api.example.test/users/2", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}]},
  "response": {"status": 0, "headers": []}},
 {"request": {"method": "OPTIONS", "url": "https://api.example.test/users/2", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}, {"name": "Access-Control-Request-Method", "value": "DELETE"}]},
  "response": {"status": 204, "headers": [{"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"}]}},
 {"request": {"method": "DELETE", "url": "https://api.example.test/users/2", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}]},
  "response": {"status": 0, "headers": []}},
 {"request": {"method": "OPTIONS", "url": "https://api.example.test/search", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"},
    {"name": "Access-Control-Request-Method", "value": "GET"},
    {"name": "Access-Control-Request-Headers", "value": "x-trace"}]},
  "response": {"status": 204, "headers": [
    {"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"},
    {"name": "Access-Control-Allow-Headers", "value": "X-Trace"}]}},
 {"request": {"method": "GET", "url": "https://api.example.test/search", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}]},
  "response": {"status": 200, "headers": [{"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"}]}},
 {"request": {"method": "GET", "url": "https://api.example.test/search", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}, {"name": "X-Trace", "value": "1"}]},
  "response": {"status": 200, "headers": [{"name": "Access-Control-Allow-Origin", "value": "https://app.example.test"}]}},
 {"request": {"method": "GET", "url": "https://api.example.test/search", "headers": [` + chromeAdds + `,
    {"name": "Origin", "value": "https://app.example.test"}, {"name": "X-Trace", "value": "2"}]},
  "response": {"status": 200, "headers": []}}
]}}`

func TestCheckHAR(t *testing.T) {
	entries, err := browser.ReadHAR(strings.NewReader(harExport))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 11 {
		t.Fatalf("%d entries, want 11", len(entries))
	}
	got := browser.CheckHAR(entries)
	want := []struct {
		entry, preflight int
		allowed          bool
		code             browser.Code
	}{
		{1, 0, true, ""},
		{2, -1, false, browser.WildcardOriginNotAllowed}, // a Cookie means credentials
		{4, -1, false, browser.MissingAllowOriginHeader}, // no earlier preflight recorded
		{6, 5, false, browser.MethodDisallowedByPreflightResponse},
		// A simple GET that starts between a preflight and its request is
		// not the preflight's: it lacks the header the preflight asked for.
		{8, -1, true, ""},
		{9, 7, true, ""},
		// The next request with the header rode on the browser's preflight
		// cache: no preflight entry of its own.
		{10, -1, false, browser.MissingAllowOriginHeader},
	}
	if len(got) != len(want) {
		t.Fatalf("%d checks, want %d (same-origin and preflight entries are skipped): %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		code := browser.Code("")
		if g.Error != nil {
			code = g.Error.Code
		}
		if g.Entry != w.entry || g.Preflight != w.preflight || g.Allowed != w.allowed || code != w.code {
			t.Errorf("check %d = entry %d, preflight %d, allowed %v, %s; want entry %d, preflight %d, allowed %v, %s",
				i, g.Entry, g.Preflight, g.Allowed, code, w.entry, w.preflight, w.allowed, w.code)
		}
	}
}

func TestReadHARErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"log": {"entries": [{"request": {}}]}}`, `[1,2]`} {
		if _, err := browser.ReadHAR(strings.NewReader(in)); err == nil {
			t.Errorf("ReadHAR(%q): want an error", in)
		}
	}
}

func FuzzReadHAR(f *testing.F) {
	f.Add(harExport)
	f.Add(`{"log":{"entries":[]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := browser.ReadHAR(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever parses can be checked without a panic.
		_ = browser.CheckHAR(entries)
	})
}

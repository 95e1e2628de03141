package browser_test

import (
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
)

// The references below restate the Fetch rules as regular expressions, so
// the parsers are checked against an independent reading of the standard.
var (
	refToken     = `[!#$%&'*+\-.^_` + "`" + `|~0-9A-Za-z]+`
	refMIME      = regexp.MustCompile(`(?s)^[ \t]*(` + refToken + `)/(` + refToken + `)[ \t]*(;.*)?$`)
	refTokenOnly = regexp.MustCompile(`^` + refToken + `$`)
	refRange     = regexp.MustCompile(`^bytes=([0-9]+)-([0-9]*)$`)
)

func refContentTypeSafe(v string) bool {
	if len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool {
		return (r < 0x20 && r != '\t') || r == 0x7f || strings.ContainsRune(`"():<>?@[\]{}`, r)
	}) {
		return false
	}
	m := refMIME.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	essence := strings.ToLower(m[1] + "/" + m[2])
	return slices.Contains([]string{"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}, essence)
}

func FuzzContentType(f *testing.F) {
	for _, s := range []string{"text/plain", "Text/Plain;charset=utf-8", "text /plain", "text/plain,x/x", ",text/plain", "text/plain\v", "multipart/form-data; boundary=x", " text/plain ", "text/plain\t;", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := browser.IsSafelistedHeader("Content-Type", v)
		if want := refContentTypeSafe(v); got != want {
			t.Fatalf("IsSafelistedHeader(Content-Type, %q) = %v; reference says %v", v, got, want)
		}
	})
}

func FuzzRange(f *testing.F) {
	for _, s := range []string{"bytes=0-", "bytes=1-2", "bytes=2-1", "bytes=-5", "bytes=0-1,2-3", "bytes= 1-", "bytes=01-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := browser.IsSafelistedHeader("Range", v)
		want := false
		if m := refRange.FindStringSubmatch(v); m != nil && len(v) <= 128 {
			want = true
			if m[2] != "" {
				start, _ := new(big.Int).SetString(m[1], 10)
				end, _ := new(big.Int).SetString(m[2], 10)
				want = start.Cmp(end) <= 0
			}
		}
		if got != want {
			t.Fatalf("IsSafelistedHeader(Range, %q) = %v; reference says %v", v, got, want)
		}
	})
}

func FuzzAllowHeaders(f *testing.F) {
	for _, s := range []string{"x-foo", "X-FOO, y", ",y-lol,x-PriNT, ,,,Y-PRINT", "*", "a b", `"x-foo"`, "x-foo,\tbar", ""} {
		f.Add(s)
	}
	req, err := browser.NewRequest(api, page, "GET", http.Header{"X-Foo": {"1"}}, false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{StatusCode: 204, Header: http.Header{
			"Access-Control-Allow-Origin":  {page},
			"Access-Control-Allow-Headers": {v},
		}}
		err := browser.CheckPreflight(req, resp)
		parses, allows := true, false
		for item := range strings.SplitSeq(v, ",") {
			item = strings.Trim(item, " \t")
			switch {
			case item == "":
			case !refTokenOnly.MatchString(item):
				parses = false
			case strings.EqualFold(item, "x-foo") || item == "*":
				allows = true
			}
		}
		var want browser.Code
		switch {
		case !parses:
			want = browser.InvalidAllowHeadersPreflightResponse
		case !allows:
			want = browser.HeaderDisallowedByPreflightResponse
		}
		var got browser.Code
		if e, ok := err.(*browser.Error); ok {
			got = e.Code
		} else if err != nil {
			t.Fatalf("CheckPreflight: %v", err)
		}
		if got != want {
			t.Fatalf("Access-Control-Allow-Headers %q: %q; reference says %q", v, got, want)
		}
	})
}

func FuzzAllowOrigin(f *testing.F) {
	for _, s := range []string{"*", " * ", page, page + "/", "null", "* *", "", "//app.example.com", "\t" + page} {
		f.Add(s)
	}
	req, err := browser.NewRequest(api, page, "GET", nil, false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Access-Control-Allow-Origin": {v}}}
		err := browser.CheckResponse(req, resp)
		trimmed := strings.Trim(v, " \t")
		if want := trimmed == "*" || trimmed == page; (err == nil) != want {
			t.Fatalf("Access-Control-Allow-Origin %q: %v; want pass = %v", v, err, want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "Access to fetch at ") {
			t.Fatalf("message %q", err)
		}
	})
}

package fetch_test

import (
	"testing"

	"github.com/crossgate/crossgate/internal/fetch"
)

func TestLists(t *testing.T) {
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"TRACE is forbidden", fetch.ForbiddenMethod("TRACE"), true},
		{"track in lower case is forbidden", fetch.ForbiddenMethod("track"), true},
		{"PATCH is not forbidden", fetch.ForbiddenMethod("PATCH"), false},
		{"put is normalised", fetch.NormalizedMethod("put"), true},
		{"PATCH is not normalised", fetch.NormalizedMethod("PATCH"), false},
		{"Cookie is forbidden", fetch.ForbiddenRequestHeaderName("Cookie"), true},
		{"Sec-Fetch-Site is forbidden", fetch.ForbiddenRequestHeaderName("Sec-Fetch-Site"), true},
		{"Proxy-Foo is forbidden", fetch.ForbiddenRequestHeaderName("Proxy-Foo"), true},
		{"X-Foo is allowed", fetch.ForbiddenRequestHeaderName("X-Foo"), false},
		{"method override naming TRACE", fetch.ForbiddenRequestHeader("X-HTTP-Method-Override", []string{"GET, trace"}), true},
		{"method override naming PATCH", fetch.ForbiddenRequestHeader("X-HTTP-Method-Override", []string{"PATCH"}), false},
		{"Content-Type is safelisted", fetch.SafelistedResponseHeader("content-TYPE"), true},
		{"Set-Cookie is not safelisted", fetch.SafelistedResponseHeader("Set-Cookie"), false},
		{"Vary: Origin", fetch.VaryNames([]string{"Origin"}, "Origin"), true},
		{"Vary naming origin in a list, in lower case", fetch.VaryNames([]string{"Accept-Encoding", "accept, origin"}, "Origin"), true},
		{"Vary: *", fetch.VaryNames([]string{"*"}, "Origin"), true},
		{"Vary without Origin", fetch.VaryNames([]string{"Accept-Encoding, Origin-Agent"}, "Origin"), false},
		{"no Vary", fetch.VaryNames(nil, "Origin"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

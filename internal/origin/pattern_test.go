package origin_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want origin.Pattern // Raw is always the input and is not repeated here
	}{
		{"exact", "https://app.example.com", origin.Pattern{Kind: origin.Exact, Scheme: "https", Host: "app.example.com", Port: -1}},
		{"exact with port", "http://localhost:8080", origin.Pattern{Kind: origin.Exact, Scheme: "http", Host: "localhost", Port: 8080}},
		{"exact ipv6 with port", "https://[::1]:8443", origin.Pattern{Kind: origin.Exact, Scheme: "https", Host: "[::1]", Port: 8443}},
		{"exact ipv6", "http://[::1]", origin.Pattern{Kind: origin.Exact, Scheme: "http", Host: "[::1]", Port: -1}},
		{"exact ipv4", "http://127.0.0.1", origin.Pattern{Kind: origin.Exact, Scheme: "http", Host: "127.0.0.1", Port: -1}},
		{"custom scheme", "custom+x://host", origin.Pattern{Kind: origin.Exact, Scheme: "custom+x", Host: "host", Port: -1}},
		{"subdomains", "https://*.example.com", origin.Pattern{Kind: origin.Subdomains, Scheme: "https", Host: "example.com", Port: -1}},
		{"any port", "http://localhost:*", origin.Pattern{Kind: origin.Exact, Scheme: "http", Host: "localhost", Port: origin.AnyPort}},
		{"ipv6 any port", "http://[::1]:*", origin.Pattern{Kind: origin.Exact, Scheme: "http", Host: "[::1]", Port: origin.AnyPort}},
		{"subdomains any port", "https://*.example.com:*", origin.Pattern{Kind: origin.Subdomains, Scheme: "https", Host: "example.com", Port: origin.AnyPort}},
		{"subdomains with port", "https://*.example.com:8443", origin.Pattern{Kind: origin.Subdomains, Scheme: "https", Host: "example.com", Port: 8443}},
		{"any", "*", origin.Pattern{Kind: origin.Any}},
		{"null", "null", origin.Pattern{Kind: origin.Null}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := origin.ParsePattern(tt.in)
			if err != nil {
				t.Fatalf("ParsePattern(%q) error: %v", tt.in, err)
			}
			want := tt.want
			want.Raw = tt.in
			if got != want {
				t.Errorf("ParsePattern(%q) = %+v, want %+v", tt.in, got, want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("ParsePattern(%q).String() = %q", tt.in, s)
			}
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	// Each error must name the problem and, where one exists, the value to
	// write instead, because it is shown to whoever wrote the config.
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error message
	}{
		{"empty", "", []string{"empty"}},
		{"upper case", "https://App.Example.com", []string{"lower case", `write "https://app.example.com"`}},
		{"upper-case scheme", "HTTPS://a.com", []string{"lower case", `write "https://a.com"`}},
		{"path", "https://a.com/api", []string{"no path", `write "https://a.com"`}},
		{"trailing slash", "https://a.com/", []string{"trailing slash", `write "https://a.com"`}},
		{"query", "https://a.com?x=1", []string{"query", `write "https://a.com"`}},
		{"fragment", "https://a.com#x", []string{`write "https://a.com"`}},
		{"default https port", "https://a.com:443", []string{"default", `write "https://a.com"`}},
		{"default http port", "http://localhost:80", []string{"default", `write "http://localhost"`}},
		{"default port with subdomains", "https://*.a.com:443", []string{"default", `write "https://*.a.com"`}},
		{"port 0", "http://a.com:0", []string{"invalid port", "1-65535"}},
		{"leading-zero port", "http://a.com:08080", []string{"invalid port", "leading zeros"}},
		{"port over 65535", "http://a.com:65536", []string{"invalid port", "1-65535"}},
		{"port not a number", "http://a.com:x", []string{"invalid port", "* for any port"}},
		{"userinfo", "https://user@a.com", []string{"userinfo"}},
		{"userinfo with password", "https://user:pw@a.com", []string{"userinfo"}},
		{"wildcard inside a label", "https://*example.com", []string{"wildcard", `"https://*.example.com"`}},
		{"wildcard in the middle", "https://a.*.com", []string{"wildcard", "whole leading label"}},
		{"wildcard twice", "https://*.*.example.com", []string{"wildcard"}},
		{"wildcard host", "https://*", []string{"wildcard"}},
		{"wildcard in port digits", "https://a.com:8*", []string{"invalid port"}},
		{"no scheme", "*.example.com", []string{"scheme://host", `"https://app.example.com"`}},
		{"bare host", "example.com", []string{"scheme://host"}},
		{"subdomains of ipv4", "https://*.127.0.0.1", []string{"IP address"}},
		{"subdomains of ipv6", "https://*.[::1]", []string{"IP address"}},
		{"empty host", "https://", []string{"invalid host"}},
		{"double dot", "https://a..com", []string{"invalid host"}},
		{"trailing dot", "https://a.com.", []string{"invalid host"}},
		{"ipv4 short form", "http://127.1", []string{"invalid host"}},
		{"invalid scheme", "1x://a.com", []string{"invalid scheme"}},
		{"over MaxLength", "https://" + strings.Repeat("a", origin.MaxLength), []string{"longer than 320 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := origin.ParsePattern(tt.in)
			if err == nil {
				t.Fatalf("ParsePattern(%q) = %+v, want an error", tt.in, p)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParsePattern(%q) error %q does not say %q", tt.in, err, w)
				}
			}
		})
	}
}

func TestPatternMatches(t *testing.T) {
	tests := []struct {
		pattern string
		origin  string
		want    bool
	}{
		{"*", "https://a.com", true},
		{"*", "http://[::1]:8080", true},
		{"null", "https://a.com", false},

		{"https://a.com", "https://a.com", true},
		{"https://a.com", "http://a.com", false},
		{"https://a.com", "https://a.com:8443", false},
		{"https://a.com", "https://b.a.com", false},
		{"https://a.com", "https://aa.com", false},
		{"https://a.com:8443", "https://a.com:8443", true},
		{"https://a.com:8443", "https://a.com", false},
		{"https://a.com:8443", "https://a.com:8444", false},
		{"https://[::1]:8443", "https://[::1]:8443", true},

		{"https://*.example.com", "https://a.example.com", true},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://*.example.com", "https://evilexample.com", false},
		{"https://*.example.com", "https://example.com.evil.com", false},
		{"https://*.example.com", "http://a.example.com", false},
		{"https://*.example.com", "https://a.example.com:8443", false},
		{"https://*.example.com:8443", "https://a.example.com:8443", true},
		{"https://*.example.com:8443", "https://a.example.com", false},
		{"https://*.example.com:*", "https://a.example.com:8443", true},
		{"https://*.example.com:*", "https://a.example.com", true},
		{"https://*.example.com:*", "https://example.com:8443", false},

		{"http://localhost:*", "http://localhost", true},
		{"http://localhost:*", "http://localhost:3000", true},
		{"http://localhost:*", "http://localhost.evil.com", false},
		{"http://localhost:*", "https://localhost:3000", false},
		{"http://localhost:*", "http://a.localhost:3000", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.origin, func(t *testing.T) {
			p, err := origin.ParsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := origin.Parse(tt.origin)
			if !ok {
				t.Fatalf("Parse(%q) refused", tt.origin)
			}
			if got := p.Matches(o); got != tt.want {
				t.Errorf("%q.Matches(%q) = %v, want %v", tt.pattern, tt.origin, got, tt.want)
			}
		})
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"*", "null", "", "https://a.com", "http://localhost:*", "https://*.example.com",
		"https://*.example.com:*", "https://*.example.com:8443", "https://[::1]:8443",
		"http://[::1]:*", "custom+x://host", "https://A.com", "https://a.com/", "https://a.com:443",
		"https://u@a.com", "https://*example.com", "https://a.*.com", "*.example.com",
		"https://*.127.0.0.1", "https://*.[::1]", "https://*", "https://*.:*", "https://a.com:8*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := origin.ParsePattern(s)
		if valid := refPatternValid(s); (err == nil) != valid {
			t.Fatalf("ParsePattern(%q) error = %v, reference says valid = %v", s, err, valid)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParsePattern(%q) returned an empty error message", s)
			}
			return
		}
		if p.Raw != s {
			t.Fatalf("ParsePattern(%q).Raw = %q", s, p.Raw)
		}
		if got := p.String(); got != s {
			t.Fatalf("ParsePattern(%q).String() = %q", s, got)
		}
	})
}

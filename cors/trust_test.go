package cors_test

import (
	"testing"

	"github.com/crossgate/crossgate/cors"
)

func TestTrustsOrigin(t *testing.T) {
	named := mustNew(t, cors.Config{
		AllowOrigins:     []string{"https://app.example.com", "https://*.example.org", "null"},
		AllowOriginRegex: []string{`https://pr-[0-9]+\.preview\.example\.com`},
	})
	any := mustNew(t, cors.Config{AllowOrigins: []string{"*"}})
	cases := []struct {
		name   string
		p      *cors.Policy
		origin string
		want   bool
	}{
		{"exact origin", named, "https://app.example.com", true},
		{"subdomain pattern", named, "https://a.example.org", true},
		{"regex", named, "https://pr-12.preview.example.com", true},
		{"other origin", named, "https://evil.test", false},
		{"null, even when listed", named, "null", false},
		{"malformed", named, "https://app.example.com/", false},
		{"* trusts no origin", any, "https://app.example.com", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.TrustsOrigin(tc.origin); got != tc.want {
				t.Errorf("TrustsOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
	if n := testing.AllocsPerRun(100, func() { named.TrustsOrigin("https://a.example.org") }); n != 0 {
		t.Errorf("TrustsOrigin allocates %v times", n)
	}
}

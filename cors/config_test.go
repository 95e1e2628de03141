package cors_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// problem identifies a *cors.ConfigError by where it points: "Field[Index]
// value".
func problem(e *cors.ConfigError) string {
	return fmt.Sprintf("%s[%d] %s", e.Field, e.Index, e.Value)
}

func TestNewAcceptsValidConfigs(t *testing.T) {
	origin := []string{"https://app.example.com"}
	cases := []struct {
		name string
		cfg  cors.Config
	}{
		{"readme policy", webConfig},
		{"one origin", cors.Config{AllowOrigins: origin}},
		{"regex only", cors.Config{AllowOriginRegex: []string{`https://pr-[0-9]+\.preview\.example\.com`}}},
		{"credentialed regexes that start with https:// but are not one-pass", cors.Config{
			AllowOriginRegex: []string{`https://.*\.example\.com`, `https://(.+\.)?example\.com`}, AllowCredentials: true}},
		{"* everywhere without credentials", cors.Config{
			AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, ExposeHeaders: []string{"*"},
		}},
		{"* and Authorization in AllowHeaders", cors.Config{AllowOrigins: origin, AllowHeaders: []string{"*", "Authorization"}}},
		{"null without credentials", cors.Config{AllowOrigins: []string{"null", "https://app.example.com"}}},
		{"http without credentials", cors.Config{AllowOrigins: []string{"http://app.example.com", "http://*.example.com"}}},
		{"loopback http with credentials", cors.Config{
			AllowOrigins:     []string{"http://localhost:3000", "http://localhost:*", "http://127.0.0.1:8080", "http://[::1]:8080", "http://app.localhost"},
			AllowCredentials: true,
		}},
		{"http with credentials, dangerously", cors.Config{
			AllowOrigins:                    []string{"http://app.example.com"},
			AllowOriginRegex:                []string{`http://pr-[0-9]+\.example\.com`},
			AllowCredentials:                true,
			DangerouslyAllowInsecureOrigins: true,
		}},
		{"public suffix wildcards, dangerously", cors.Config{
			AllowOrigins:                          []string{"https://*.com", "https://*.github.io"},
			DangerouslyAllowPublicSuffixWildcards: true,
		}},
		{"wildcard below a public suffix", cors.Config{AllowOrigins: []string{"https://*.example.github.io", "https://*.example.co.uk"}}},
		{"non-default ports", cors.Config{AllowOrigins: []string{"https://app.example.com:8443", "http://app.example.com:443", "https://*.example.com:*"}}},
		{"max age -1s", cors.Config{AllowOrigins: origin, MaxAge: -time.Second}},
		{"max age 24h", cors.Config{AllowOrigins: origin, MaxAge: cors.MaxMaxAge}},
		{"preflight status 200", cors.Config{AllowOrigins: origin, PreflightStatus: 200}},
		{"custom methods", cors.Config{AllowOrigins: origin, AllowMethods: []string{"PATCH", "PURGE", "patch"}}},
		{"custom headers", cors.Config{AllowOrigins: origin, AllowHeaders: []string{"X-Requested-With", "content-type", "If-Match"}, ExposeHeaders: []string{"ETag", "Link"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := cors.New(tc.cfg)
			if err != nil {
				t.Fatalf("cors.New: %v", err)
			}
			if p == nil {
				t.Fatal("cors.New returned a nil Policy and no error")
			}
		})
	}
}

func TestNewRefusesInvalidConfigs(t *testing.T) {
	one := func(mod func(*cors.Config)) cors.Config {
		c := cors.Config{AllowOrigins: []string{"https://app.example.com"}}
		mod(&c)
		return c
	}
	origins := func(o ...string) cors.Config {
		return cors.Config{AllowOrigins: o}
	}
	cases := []struct {
		name string
		cfg  cors.Config
		want []string // problem() of each error, in order
	}{
		{"empty config", cors.Config{}, []string{"AllowOrigins[-1] "}},

		{"* origin with credentials", cors.Config{AllowOrigins: []string{"*"}, AllowCredentials: true},
			[]string{"AllowOrigins[0] *"}},
		{"* method with credentials", one(func(c *cors.Config) { c.AllowMethods = []string{"GET", "*"}; c.AllowCredentials = true }),
			[]string{"AllowMethods[1] *"}},
		{"* header with credentials", one(func(c *cors.Config) { c.AllowHeaders = []string{"*", "Authorization"}; c.AllowCredentials = true }),
			[]string{"AllowHeaders[0] *"}},
		{"* expose with credentials", one(func(c *cors.Config) { c.ExposeHeaders = []string{"X-Id", "*"}; c.AllowCredentials = true }),
			[]string{"ExposeHeaders[1] *"}},
		{"* in every field with credentials", cors.Config{
			AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, ExposeHeaders: []string{"*"}, AllowCredentials: true,
		}, []string{"AllowOrigins[0] *", "AllowMethods[0] *", "AllowHeaders[0] *", "ExposeHeaders[0] *"}},
		{"* with other origins", origins("https://app.example.com", "*"), []string{"AllowOrigins[1] *"}},
		{"* with a regex", cors.Config{AllowOrigins: []string{"*"}, AllowOriginRegex: []string{`https://a\.example\.com`}},
			[]string{"AllowOrigins[0] *"}},
		{"null with credentials", cors.Config{AllowOrigins: []string{"https://app.example.com", "null"}, AllowCredentials: true},
			[]string{"AllowOrigins[1] null"}},

		{"origin/upper case", origins("https://App.Example.com"), []string{"AllowOrigins[0] https://App.Example.com"}},
		{"origin/upper-case scheme", origins("HTTPS://app.example.com"), []string{"AllowOrigins[0] HTTPS://app.example.com"}},
		{"origin/path", origins("https://app.example.com/api"), []string{"AllowOrigins[0] https://app.example.com/api"}},
		{"origin/trailing slash", origins("https://app.example.com/"), []string{"AllowOrigins[0] https://app.example.com/"}},
		{"origin/default https port", origins("https://app.example.com:443"), []string{"AllowOrigins[0] https://app.example.com:443"}},
		{"origin/default http port", origins("http://app.example.com:80"), []string{"AllowOrigins[0] http://app.example.com:80"}},
		{"origin/userinfo", origins("https://user:pw@app.example.com"), []string{"AllowOrigins[0] https://user:pw@app.example.com"}},
		{"origin/query", origins("https://app.example.com?x=1"), []string{"AllowOrigins[0] https://app.example.com?x=1"}},
		{"origin/fragment", origins("https://app.example.com#x"), []string{"AllowOrigins[0] https://app.example.com#x"}},
		{"origin/port 0", origins("https://app.example.com:0"), []string{"AllowOrigins[0] https://app.example.com:0"}},
		{"origin/port too large", origins("https://app.example.com:65536"), []string{"AllowOrigins[0] https://app.example.com:65536"}},
		{"origin/port leading zero", origins("https://app.example.com:08443"), []string{"AllowOrigins[0] https://app.example.com:08443"}},
		{"origin/port not a number", origins("https://app.example.com:https"), []string{"AllowOrigins[0] https://app.example.com:https"}},
		{"origin/empty port", origins("https://app.example.com:"), []string{"AllowOrigins[0] https://app.example.com:"}},
		{"origin/no scheme", origins("app.example.com"), []string{"AllowOrigins[0] app.example.com"}},
		{"origin/wildcard without scheme", origins("*.example.com"), []string{"AllowOrigins[0] *.example.com"}},
		{"origin/empty host", origins("https://"), []string{"AllowOrigins[0] https://"}},
		{"origin/empty string", origins(""), []string{"AllowOrigins[0] "}},
		{"origin/wildcard in the middle", origins("https://app.*.example.com"), []string{"AllowOrigins[0] https://app.*.example.com"}},
		{"origin/wildcard inside a label", origins("https://*app.example.com"), []string{"AllowOrigins[0] https://*app.example.com"}},
		{"origin/wildcard at the end", origins("https://app.example.*"), []string{"AllowOrigins[0] https://app.example.*"}},
		{"origin/wildcard host alone", origins("https://*"), []string{"AllowOrigins[0] https://*"}},
		{"origin/wildcard scheme", origins("*://app.example.com"), []string{"AllowOrigins[0] *://app.example.com"}},
		{"origin/wildcard over an IP", origins("https://*.10.0.0.1"), []string{"AllowOrigins[0] https://*.10.0.0.1"}},
		{"origin/space", origins("https://app example.com"), []string{"AllowOrigins[0] https://app example.com"}},
		{"origin/empty label", origins("https://app..example.com"), []string{"AllowOrigins[0] https://app..example.com"}},
		{"origin/too long", origins("https://" + strings.Repeat("a.", 200) + "com"),
			[]string{"AllowOrigins[0] https://" + strings.Repeat("a.", 200) + "com"}},

		{"public suffix/*.com", origins("https://*.com"), []string{"AllowOrigins[0] https://*.com"}},
		{"public suffix/*.github.io", origins("https://*.github.io"), []string{"AllowOrigins[0] https://*.github.io"}},
		{"public suffix/*.co.uk", origins("https://*.co.uk"), []string{"AllowOrigins[0] https://*.co.uk"}},
		{"public suffix/with any port", origins("https://*.com:*"), []string{"AllowOrigins[0] https://*.com:*"}},
		{"public suffix/insecure allowance does not cover it", cors.Config{
			AllowOrigins: []string{"https://*.com"}, DangerouslyAllowInsecureOrigins: true,
		}, []string{"AllowOrigins[0] https://*.com"}},

		{"http with credentials", cors.Config{AllowOrigins: []string{"https://app.example.com", "http://app.example.com"}, AllowCredentials: true},
			[]string{"AllowOrigins[1] http://app.example.com"}},
		{"http wildcard with credentials", cors.Config{AllowOrigins: []string{"http://*.example.com"}, AllowCredentials: true},
			[]string{"AllowOrigins[0] http://*.example.com"}},
		{"http regex with credentials", cors.Config{AllowOriginRegex: []string{`http://pr-[0-9]+\.example\.com`}, AllowCredentials: true},
			[]string{"AllowOriginRegex[0] http://pr-[0-9]+\\.example\\.com"}},
		{"http-or-https regex with credentials", cors.Config{AllowOriginRegex: []string{`https?://app\.example\.com`}, AllowCredentials: true},
			[]string{"AllowOriginRegex[0] https?://app\\.example\\.com"}},
		{"match-anything regex with credentials", cors.Config{AllowOriginRegex: []string{`.*`}, AllowCredentials: true},
			[]string{"AllowOriginRegex[0] .*"}},
		{"http with credentials, suffix allowance does not cover it", cors.Config{
			AllowOrigins: []string{"http://app.example.com"}, AllowCredentials: true, DangerouslyAllowPublicSuffixWildcards: true,
		}, []string{"AllowOrigins[0] http://app.example.com"}},

		{"method/CONNECT", one(func(c *cors.Config) { c.AllowMethods = []string{"PUT", "CONNECT"} }), []string{"AllowMethods[1] CONNECT"}},
		{"method/TRACE", one(func(c *cors.Config) { c.AllowMethods = []string{"TRACE"} }), []string{"AllowMethods[0] TRACE"}},
		{"method/TRACK", one(func(c *cors.Config) { c.AllowMethods = []string{"TRACK"} }), []string{"AllowMethods[0] TRACK"}},
		{"method/lower-case connect", one(func(c *cors.Config) { c.AllowMethods = []string{"connect"} }), []string{"AllowMethods[0] connect"}},
		{"method/lower-case put", one(func(c *cors.Config) { c.AllowMethods = []string{"put"} }), []string{"AllowMethods[0] put"}},
		{"method/not a token", one(func(c *cors.Config) { c.AllowMethods = []string{"PU T"} }), []string{"AllowMethods[0] PU T"}},
		{"method/empty", one(func(c *cors.Config) { c.AllowMethods = []string{""} }), []string{"AllowMethods[0] "}},

		{"header/Cookie", one(func(c *cors.Config) { c.AllowHeaders = []string{"Content-Type", "Cookie"} }), []string{"AllowHeaders[1] Cookie"}},
		{"header/Host", one(func(c *cors.Config) { c.AllowHeaders = []string{"Host"} }), []string{"AllowHeaders[0] Host"}},
		{"header/Content-Length", one(func(c *cors.Config) { c.AllowHeaders = []string{"content-length"} }), []string{"AllowHeaders[0] content-length"}},
		{"header/Origin", one(func(c *cors.Config) { c.AllowHeaders = []string{"Origin"} }), []string{"AllowHeaders[0] Origin"}},
		{"header/Sec-*", one(func(c *cors.Config) { c.AllowHeaders = []string{"Sec-Fetch-Mode"} }), []string{"AllowHeaders[0] Sec-Fetch-Mode"}},
		{"header/Proxy-*", one(func(c *cors.Config) { c.AllowHeaders = []string{"Proxy-Authorization"} }), []string{"AllowHeaders[0] Proxy-Authorization"}},
		{"header/Access-Control-*", one(func(c *cors.Config) { c.AllowHeaders = []string{"Access-Control-Allow-Origin"} }), []string{"AllowHeaders[0] Access-Control-Allow-Origin"}},
		{"header/Access-Control-Request-Headers", one(func(c *cors.Config) { c.AllowHeaders = []string{"access-control-request-headers"} }), []string{"AllowHeaders[0] access-control-request-headers"}},
		{"header/not a token", one(func(c *cors.Config) { c.AllowHeaders = []string{"X Foo"} }), []string{"AllowHeaders[0] X Foo"}},
		{"header/empty", one(func(c *cors.Config) { c.AllowHeaders = []string{""} }), []string{"AllowHeaders[0] "}},
		{"header/too long", one(func(c *cors.Config) { c.AllowHeaders = []string{strings.Repeat("x", 129)} }), []string{"AllowHeaders[0] " + strings.Repeat("x", 129)}},
		{"expose/Access-Control-*", one(func(c *cors.Config) { c.ExposeHeaders = []string{"X-Id", "Access-Control-Allow-Origin"} }), []string{"ExposeHeaders[1] Access-Control-Allow-Origin"}},
		{"expose/not a token", one(func(c *cors.Config) { c.ExposeHeaders = []string{"X-Id, ETag"} }), []string{"ExposeHeaders[0] X-Id, ETag"}},

		{"max age/below -1s", one(func(c *cors.Config) { c.MaxAge = -2 * time.Second }), []string{"MaxAge[-1] -2s"}},
		{"max age/above 24h", one(func(c *cors.Config) { c.MaxAge = 24*time.Hour + time.Second }), []string{"MaxAge[-1] 24h0m1s"}},
		{"max age/fraction of a second", one(func(c *cors.Config) { c.MaxAge = 1500 * time.Millisecond }), []string{"MaxAge[-1] 1.5s"}},
		{"max age/seconds written as nanoseconds", one(func(c *cors.Config) { c.MaxAge = 7200 }), []string{"MaxAge[-1] 7.2µs"}},

		{"regex/does not compile", one(func(c *cors.Config) { c.AllowOriginRegex = []string{`https://(a\.example\.com`} }), []string{`AllowOriginRegex[0] https://(a\.example\.com`}},
		{"regex/Perl lookahead", one(func(c *cors.Config) { c.AllowOriginRegex = []string{`https://(?!evil).*`} }), []string{`AllowOriginRegex[0] https://(?!evil).*`}},
		{"regex/empty", one(func(c *cors.Config) { c.AllowOriginRegex = []string{`https://a\.example\.com`, ""} }), []string{"AllowOriginRegex[1] "}},

		{"preflight status/404", one(func(c *cors.Config) { c.PreflightStatus = 404 }), []string{"PreflightStatus[-1] 404"}},
		{"preflight status/302", one(func(c *cors.Config) { c.PreflightStatus = 302 }), []string{"PreflightStatus[-1] 302"}},

		{"every problem at once", cors.Config{
			AllowOrigins:     []string{"*", "null", "https://App.example.com", "https://*.com", "http://app.example.com", "https://ok.example.com"},
			AllowOriginRegex: []string{"(", `https://ok\.example\.com`},
			AllowMethods:     []string{"GET", "TRACE", "*"},
			AllowHeaders:     []string{"Content-Type", "Cookie", "Access-Control-Max-Age", "*"},
			ExposeHeaders:    []string{"*", "Access-Control-Allow-Origin"},
			AllowCredentials: true,
			MaxAge:           48 * time.Hour,
			PreflightStatus:  500,
		}, []string{
			"AllowOrigins[0] *",
			"AllowOrigins[0] *",
			"AllowOrigins[1] null",
			"AllowOrigins[2] https://App.example.com",
			"AllowOrigins[3] https://*.com",
			"AllowOrigins[4] http://app.example.com",
			"AllowOriginRegex[0] (",
			"AllowMethods[1] TRACE",
			"AllowMethods[2] *",
			"AllowHeaders[1] Cookie",
			"AllowHeaders[2] Access-Control-Max-Age",
			"AllowHeaders[3] *",
			"ExposeHeaders[0] *",
			"ExposeHeaders[1] Access-Control-Allow-Origin",
			"MaxAge[-1] 48h0m0s",
			"PreflightStatus[-1] 500",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := cors.New(tc.cfg)
			if err == nil {
				t.Fatalf("cors.New accepted the config")
			}
			if p != nil {
				t.Errorf("cors.New returned a Policy with an error")
			}
			errs := cors.ConfigErrors(err)
			var got []string
			for _, e := range errs {
				got = append(got, problem(e))
				if e.Problem == "" {
					t.Errorf("%s: empty Problem", problem(e))
				}
				if e.Code == "" {
					t.Errorf("%s: empty Code", problem(e))
				}
				if !strings.Contains(err.Error(), e.Error()) {
					t.Errorf("the joined error does not include %q", e.Error())
				}
				if !strings.HasPrefix(e.Error(), "cors: "+e.Field) {
					t.Errorf("Error() = %q, want it to start with the field", e.Error())
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%s", len(got), len(tc.want), err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\n got  %q\n want %q", got, tc.want)
			}
			var ce *cors.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("errors.As finds no *cors.ConfigError in %v", err)
			}
		})
	}
}

// TestConfigErrorCodes checks the code of each kind of problem, and that
// the codes keep their values.
func TestConfigErrorCodes(t *testing.T) {
	one := func(mod func(*cors.Config)) cors.Config {
		c := cors.Config{AllowOrigins: []string{"https://app.example.com"}}
		mod(&c)
		return c
	}
	cases := []struct {
		code cors.ProblemCode
		want string // the code's stable value
		cfg  cors.Config
	}{
		{cors.ProblemOriginMalformed, "origin-malformed", cors.Config{AllowOrigins: []string{"https://app.example.com/"}}},
		{cors.ProblemWildcardNotAlone, "wildcard-not-alone", cors.Config{AllowOrigins: []string{"*", "https://app.example.com"}}},
		{cors.ProblemWildcardCredentials, "wildcard-credentials", cors.Config{AllowOrigins: []string{"*"}, AllowCredentials: true}},
		{cors.ProblemNullCredentials, "null-credentials", cors.Config{AllowOrigins: []string{"null"}, AllowCredentials: true}},
		{cors.ProblemPublicSuffixWildcard, "public-suffix-wildcard", cors.Config{AllowOrigins: []string{"https://*.github.io"}}},
		{cors.ProblemInsecureOriginCredentials, "insecure-origin-credentials", cors.Config{AllowOrigins: []string{"http://app.example.com"}, AllowCredentials: true}},
		{cors.ProblemNoOrigins, "no-origins", cors.Config{}},
		{cors.ProblemRegexEmpty, "regex-empty", cors.Config{AllowOriginRegex: []string{""}}},
		{cors.ProblemRegexMalformed, "regex-malformed", cors.Config{AllowOriginRegex: []string{`https://(a\.example\.com`}}},
		{cors.ProblemRegexWithoutHTTPS, "regex-without-https", cors.Config{AllowOriginRegex: []string{`https?://a\.example\.com`}, AllowCredentials: true}},
		{cors.ProblemMethodMalformed, "method-malformed", one(func(c *cors.Config) { c.AllowMethods = []string{"PU T"} })},
		{cors.ProblemMethodForbidden, "method-forbidden", one(func(c *cors.Config) { c.AllowMethods = []string{"TRACE"} })},
		{cors.ProblemMethodNotUpperCase, "method-not-upper-case", one(func(c *cors.Config) { c.AllowMethods = []string{"put"} })},
		{cors.ProblemHeaderMalformed, "header-malformed", one(func(c *cors.Config) { c.ExposeHeaders = []string{"X-Id, ETag"} })},
		{cors.ProblemHeaderTooLong, "header-too-long", one(func(c *cors.Config) { c.AllowHeaders = []string{strings.Repeat("x", 129)} })},
		{cors.ProblemHeaderAccessControl, "header-access-control", one(func(c *cors.Config) { c.AllowHeaders = []string{"Access-Control-Max-Age"} })},
		{cors.ProblemHeaderForbidden, "header-forbidden", one(func(c *cors.Config) { c.AllowHeaders = []string{"Cookie"} })},
		{cors.ProblemMaxAgeOutOfRange, "max-age-out-of-range", one(func(c *cors.Config) { c.MaxAge = 48 * time.Hour })},
		{cors.ProblemMaxAgeNotWholeSeconds, "max-age-not-whole-seconds", one(func(c *cors.Config) { c.MaxAge = 1500 * time.Millisecond })},
		{cors.ProblemPreflightStatusNot2xx, "preflight-status-not-2xx", one(func(c *cors.Config) { c.PreflightStatus = 500 })},
	}
	tested := make(map[cors.ProblemCode]bool)
	for _, tc := range cases {
		tested[tc.code] = true
		t.Run(tc.want, func(t *testing.T) {
			if string(tc.code) != tc.want {
				t.Errorf("code %q, want the value %q", tc.code, tc.want)
			}
			_, err := cors.New(tc.cfg)
			errs := cors.ConfigErrors(err)
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), err)
			}
			if errs[0].Code != tc.code {
				t.Errorf("Code = %q, want %q (%v)", errs[0].Code, tc.code, errs[0])
			}
		})
	}
	for _, c := range cors.ProblemCodes() {
		if !tested[c] {
			t.Errorf("no case for %q", c)
		}
	}
	if len(tested) != len(cors.ProblemCodes()) {
		t.Errorf("%d codes tested, ProblemCodes returns %d", len(tested), len(cors.ProblemCodes()))
	}
}

// TestConfigErrorMessages checks that a message says what to write instead
// where a fix is mechanical.
func TestConfigErrorMessages(t *testing.T) {
	cases := []struct {
		name    string
		cfg     cors.Config
		mention string
	}{
		{"upper case", cors.Config{AllowOrigins: []string{"https://App.example.com"}}, `"https://app.example.com"`},
		{"trailing slash", cors.Config{AllowOrigins: []string{"https://app.example.com/"}}, `"https://app.example.com"`},
		{"default port", cors.Config{AllowOrigins: []string{"https://app.example.com:443"}}, `"https://app.example.com"`},
		{"several mistakes, one fix for all", cors.Config{AllowOrigins: []string{"HTTPS://App.example.com:443/"}}, `write "https://app.example.com"`},
		{"path after a default port", cors.Config{AllowOrigins: []string{"https://app.example.com:443/x"}}, `write "https://app.example.com"`},
		{"IPv6 long form and a path", cors.Config{AllowOrigins: []string{"https://[0:0::1]:8443/"}}, `write "https://[::1]:8443"`},
		{"public suffix", cors.Config{AllowOrigins: []string{"https://*.github.io"}}, "DangerouslyAllowPublicSuffixWildcards"},
		{"insecure origin", cors.Config{AllowOrigins: []string{"http://app.example.com"}, AllowCredentials: true}, "DangerouslyAllowInsecureOrigins"},
		{"lower-case method", cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"delete"}}, `"DELETE"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cors.New(tc.cfg)
			errs := cors.ConfigErrors(err)
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), err)
			}
			if !strings.Contains(errs[0].Problem, tc.mention) {
				t.Errorf("Problem %q does not mention %s", errs[0].Problem, tc.mention)
			}
		})
	}
}

func TestConfigErrorsOfOtherErrors(t *testing.T) {
	if got := cors.ConfigErrors(nil); got != nil {
		t.Errorf("ConfigErrors(nil) = %v, want nil", got)
	}
	if got := cors.ConfigErrors(errors.New("other")); got != nil {
		t.Errorf("ConfigErrors(other) = %v, want nil", got)
	}
	// A loader that checks several policies joins their errors.
	_, errA := cors.New(cors.Config{AllowOrigins: []string{"https://*.com"}})
	_, errB := cors.New(cors.Config{AllowMethods: []string{"TRACE"}})
	var got []string
	for _, e := range cors.ConfigErrors(errors.Join(errA, errB)) {
		got = append(got, problem(e))
	}
	want := []string{"AllowOrigins[0] https://*.com", "AllowOrigins[-1] ", "AllowMethods[0] TRACE"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigErrors of joined errors = %q, want %q", got, want)
	}
	// A loader that wraps the error with its context keeps the details.
	if got := cors.ConfigErrors(fmt.Errorf("policy web: %w", errB)); len(got) != 2 {
		t.Errorf("ConfigErrors of a wrapped error = %v, want 2 errors", got)
	}
}

// TestMaxAgeInNanoseconds: MaxAge: 7200, as rs/cors and the config file
// write seconds, is 7.2µs; the error says how to write two hours.
func TestMaxAgeInNanoseconds(t *testing.T) {
	_, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}, MaxAge: 7200})
	const want = `cors: MaxAge "7.2µs": is under a second: a time.Duration counts nanoseconds, so 7200 means 7.2µs; write 7200 * time.Second`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

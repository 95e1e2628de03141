package importer_test

import (
	"slices"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/importer"
	"github.com/crossgate/crossgate/lint"
)

// convert converts src and parses the config it writes, as crossgate serve
// would.
func convert(t *testing.T, f importer.Format, src string) (*config.Config, []lint.Finding) {
	t.Helper()
	res, err := importer.Convert(f, []importer.Input{{Name: "in", Data: []byte(src)}}, importer.Options{Backends: map[string]string{"web": "http://127.0.0.1:9001"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("out.yaml", res.Config)
	if err != nil {
		t.Fatalf("the output is not a config crossgate serve accepts: %v\n%s", err, res.Config)
	}
	return c, res.Findings
}

func has(fs []lint.Finding, sev lint.Severity, rule string) bool {
	return slices.ContainsFunc(fs, func(f lint.Finding) bool { return f.Severity == sev && f.Rule == rule })
}

// policyOf returns the policy of the route with the given path prefix.
func policyOf(t *testing.T, c *config.Config, prefix string) *config.Policy {
	t.Helper()
	for _, r := range c.Routes {
		if r.PathPrefix == prefix {
			_, p := c.RoutePolicy(r)
			if p == nil {
				t.Fatalf("route %s has no policy", prefix)
			}
			return p
		}
	}
	t.Fatalf("no route with path_prefix %s", prefix)
	return nil
}

const httpRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
    - matches: [{path: {type: PathPrefix, value: /a/}}]
      backendRefs: [{name: web, port: 80}]
      filters: [{type: CORS, cors: `

// TestConversions checks, one behaviour at a time, what a user of each
// gateway relies on when moving: the policy Crossgate serves and the
// finding that says what changed.
func TestConversions(t *testing.T) {
	tests := []struct {
		name   string
		format importer.Format
		src    string
		check  func(t *testing.T, c *config.Config, fs []lint.Finding)
	}{
		{"gateway-api: maxAge left out is the Gateway API's 5 s", importer.GatewayAPI,
			httpRoute + `{allowOrigins: ["https://app.example.com"]}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				if p := policyOf(t, c, "/a/"); p.MaxAge != 5 || !slices.Equal(p.AllowOrigins, []string{"https://app.example.com"}) {
					t.Errorf("policy %+v, want the origin and max_age 5", p)
				}
			}},
		{"gateway-api: every method with credentials becomes the list of methods", importer.GatewayAPI,
			httpRoute + `{allowOrigins: ["https://app.example.com"], allowMethods: ["*"], allowCredentials: true}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				p := policyOf(t, c, "/a/")
				if slices.Contains(p.AllowMethods, "*") || !slices.Contains(p.AllowMethods, "DELETE") || !p.AllowCredentials {
					t.Errorf("allow_methods %q with credentials, want the methods listed", p.AllowMethods)
				}
			}},
		{"gateway-api: * with credentials is refused, the route left out", importer.GatewayAPI,
			httpRoute + `{allowOrigins: ["*"], allowCredentials: true}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				if len(c.Routes) != 0 || !has(fs, lint.Error, "wildcard-credentials") {
					t.Errorf("routes %d, findings %v; want no route and a wildcard-credentials error", len(c.Routes), fs)
				}
			}},
		{"apisix: an unanchored regex is written whole-origin, with a warning", importer.APISIX,
			`routes: [{id: 1, uri: /a/*, upstream: {nodes: {"127.0.0.1:9001": 1}}, plugins: {cors: {allow_origins_by_regex: ['https://.*\.example\.com']}}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				p := policyOf(t, c, "/a/")
				if !slices.Equal(p.AllowOriginRegex, []string{`https://.*\.example\.com`}) || !has(fs, lint.Warning, "regex-anchored") {
					t.Errorf("regexes %q, findings %v", p.AllowOriginRegex, fs)
				}
			}},
		{"apisix: echoed headers without credentials become * and Authorization; preflights keep 200", importer.APISIX,
			`routes: [{id: 1, uri: /a/*, upstream: {nodes: {"127.0.0.1:9001": 1}}, plugins: {cors: {allow_origins: "https://app.example.com", allow_headers: "**"}}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				p := policyOf(t, c, "/a/")
				if !slices.Equal(p.AllowHeaders, []string{"*", "Authorization"}) || p.PreflightStatus != 200 || !has(fs, lint.Info, "options-at-edge") {
					t.Errorf("allow_headers %q, preflight_status %d, findings %v", p.AllowHeaders, p.PreflightStatus, fs)
				}
			}},
		{"apisix: ** origins with credentials is refused", importer.APISIX,
			`routes: [{id: 1, uri: /a/*, upstream: {nodes: {"127.0.0.1:9001": 1}}, plugins: {cors: {allow_origins: "**", allow_methods: "GET", allow_headers: "X-A", allow_credential: true}}}]` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				if len(c.Routes) != 0 || !has(fs, lint.Error, "wildcard-credentials") {
					t.Errorf("routes %d, findings %v", len(c.Routes), fs)
				}
			}},
		{"kong: one literal origin is sent to that origin only; strip_path on by default", importer.Kong,
			`{_format_version: "3.0", services: [{name: s, url: "http://127.0.0.1:9001", routes: [{name: r, paths: [/a/]}], plugins: [{name: cors, config: {origins: ["https://app.example.com"], headers: [X-A]}}]}]}` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				p := policyOf(t, c, "/a/")
				if !slices.Equal(p.AllowOrigins, []string{"https://app.example.com"}) || !has(fs, lint.Info, "single-origin") || !c.Routes[0].StripPrefix {
					t.Errorf("origins %q, strip_prefix %v, findings %v", p.AllowOrigins, c.Routes[0].StripPrefix, fs)
				}
			}},
		{"kong: a host-only regex with credentials is written for https only", importer.Kong,
			`{_format_version: "3.0", services: [{name: s, url: "http://127.0.0.1:9001", routes: [{name: r, paths: [/a/]}], plugins: [{name: cors, config: {origins: ['(a|b)\.example\.com'], credentials: true, headers: [X-A]}}]}]}` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				p := policyOf(t, c, "/a/")
				if len(p.AllowOriginRegex) != 1 || p.AllowOriginRegex[0][:8] != "https://" || !has(fs, lint.Warning, "regex-host-only") {
					t.Errorf("regexes %q, findings %v", p.AllowOriginRegex, fs)
				}
			}},
		{"kong: preflight_continue leaves CORS to the upstream", importer.Kong,
			`{_format_version: "3.0", services: [{name: s, url: "http://127.0.0.1:9001", routes: [{name: r, paths: [/a/]}], plugins: [{name: cors, config: {origins: ["https://app.example.com"], headers: [X-A], preflight_continue: true}}]}]}` + "\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				if p := policyOf(t, c, "/a/"); p.Mode != config.ModeUpstream {
					t.Errorf("mode %q, want upstream", p.Mode)
				}
			}},
		{"kong: an unknown _format_version is refused at its line", importer.Kong,
			"_format_version: \"9.9\"\nservices: []\n",
			func(t *testing.T, c *config.Config, fs []lint.Finding) {
				if !slices.ContainsFunc(fs, func(f lint.Finding) bool {
					return f.Rule == "format-version" && f.Line == 1 && f.Severity == lint.Error
				}) {
					t.Errorf("findings %v, want a format-version error on line 1", fs)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fs := convert(t, tt.format, tt.src)
			tt.check(t, c, fs)
		})
	}
}

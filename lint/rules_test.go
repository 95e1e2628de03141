package lint_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/lint"
)

// doc completes a config around its policies and routes; every route
// sends to the upstream "api".
func doc(body string) string {
	return "listen: 127.0.0.1:8080\nupstreams:\n  api: {targets: [http://127.0.0.1:9001]}\n" + body
}

// onRoute gives one policy p, used by one route on every host.
func onRoute(policy string) string {
	return doc("policies:\n  p:\n" + policy + "routes:\n  - {id: api, path_prefix: /, upstream: api, cors: p}\n")
}

// where returns the line and column of the first occurrence of s in text.
func where(text, s string) (line, col int) {
	i := strings.Index(text, s)
	if i < 0 {
		return 0, 0
	}
	line = strings.Count(text[:i], "\n") + 1
	return line, i - strings.LastIndexByte(text[:i], '\n')
}

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		file string
		rule string
		// want is the severity of the one finding of rule expected, or ""
		// for none.
		want lint.Severity
		at   string // the finding points at the first occurrence of at
		msg  string // a part of its message
	}{
		{"unknown policy", onRoute("    allow_origins: [https://app.example.com]\n    max_age: 7200\n") + "defaults:\n  cors: nope\n",
			"invalid-config", lint.Error, "nope", `policy "nope" is not defined`},
		{"syntax error", "listen: 127.0.0.1:8080\npolicies: {p: [}\n",
			"invalid-config", lint.Error, "policies", "invalid YAML"},
		{"* with credentials", onRoute("    allow_origins: [\"*\"]\n    allow_credentials: true\n"),
			"wildcard-credentials", lint.Error, `"*"`, "allow_credentials"},
		{"* in allow_methods with credentials", onRoute("    allow_origins: [https://app.example.com]\n    allow_methods: [\"*\"]\n    allow_credentials: true\n"),
			"wildcard-credentials", lint.Error, `"*"`, "allow_methods"},
		{"* in allow_headers with credentials", onRoute("    allow_origins: [https://app.example.com]\n    allow_headers: [\"*\"]\n    allow_credentials: true\n"),
			"wildcard-credentials", lint.Error, `"*"`, "allow_headers"},
		{"* in expose_headers with credentials", onRoute("    allow_origins: [https://app.example.com]\n    expose_headers: [\"*\"]\n    allow_credentials: true\n"),
			"wildcard-credentials", lint.Error, `"*"`, "expose_headers"},
		{"null with credentials", onRoute("    allow_origins: [\"null\"]\n    allow_credentials: true\n"),
			"null-credentials", lint.Error, `"null"`, "sandboxed"},
		{"wildcard over a public suffix", onRoute("    allow_origins: [\"https://*.github.io\"]\n"),
			"public-suffix-wildcard", lint.Error, `"https://*.github.io"`, "public suffix"},
		{"http origin with credentials", onRoute("    allow_origins: [http://app.example.com]\n    allow_credentials: true\n"),
			"insecure-origin-credentials", lint.Error, "http://app", "network path"},
		{"credentialed regex without https", onRoute("    allow_origin_regex: ['https?://app\\.example\\.com']\n    allow_credentials: true\n"),
			"regex-without-https", lint.Error, "'https?", `literal "https://"`},

		{"unescaped dot", onRoute("    allow_origin_regex: ['https://app.example.com']\n"),
			"unescaped-dot", lint.Warning, "'https://app", "https://appxexample.com"},
		{"unescaped dot with credentials", onRoute("    allow_origin_regex: ['https://app.example.com']\n    allow_credentials: true\n"),
			"unescaped-dot", lint.Error, "'https://app", "https://appxexample.com"},
		{"unescaped dot that only reaches an unregistrable name", onRoute("    allow_origin_regex: ['https://example.com']\n    allow_credentials: true\n"),
			"unescaped-dot", lint.Warning, "'https://example", "https://examplexcom"},
		{"unescaped dot among several", onRoute("    allow_origin_regex: ['https://pr-[0-9]+.preview\\.example\\.com']\n"),
			"unescaped-dot", lint.Warning, "'https://pr", "https://pr-0xpreview.example.com"},
		{"escaped dots", onRoute("    allow_origin_regex: ['https://app\\.example\\.com', 'https://[a-z.]+\\.example\\.com', 'https://pr-[0-9]+\\.preview\\.example\\.com']\n"),
			"unescaped-dot", "", "", ""},
		{"regex without a scheme anchor", onRoute("    allow_origin_regex: ['https://.*example\\.com']\n"),
			"permissive-regex", lint.Warning, "'https://.*", "https://evilexample.com"},
		{"regex allowing http", onRoute("    allow_origin_regex: ['https?://api\\.example\\.com']\n"),
			"permissive-regex", lint.Warning, "'https?", "http://api.example.com"},
		{"regex allowing anything", onRoute("    allow_origin_regex: ['.*']\n"),
			"permissive-regex", lint.Warning, "'.*'", "https://evil.com"},
		{"regex with a free suffix, credentials", onRoute("    allow_origin_regex: ['https://app\\.example\\.com.*']\n    allow_credentials: true\n"),
			"permissive-regex", lint.Error, "'https://app", "https://app.example.com.evil.com"},
		{"tight regexes", onRoute("    allow_origin_regex: ['https://[a-z0-9-]+\\.example\\.com', 'https://(app|admin)\\.example\\.com', 'http://localhost:[0-9]+', 'https://.*\\.example\\.com', 'https://(.*\\.)?example\\.com']\n"),
			"permissive-regex", "", "", ""},

		{"* on a public host", doc("policies:\n  p:\n    allow_origins: [\"*\"]\nroutes:\n  - {id: api, hosts: [localhost, api.example.com], path_prefix: /, upstream: api, cors: p}\n"),
			"wildcard-origin", lint.Warning, `"*"`, "api.example.com"},
		{"* on every host", onRoute("    allow_origins: [\"*\"]\n"),
			"wildcard-origin", lint.Warning, `"*"`, "every host"},
		{"* on local hosts only", doc("policies:\n  p:\n    allow_origins: [\"*\"]\nroutes:\n  - {id: api, hosts: [localhost, api.test, 127.0.0.1], path_prefix: /, upstream: api, cors: p}\n"),
			"wildcard-origin", "", "", ""},
		{"null allowed", onRoute("    allow_origins: [https://app.example.com, \"null\"]\n"),
			"null-origin", lint.Warning, `"null"`, "sandboxed iframe"},
		{"subdomains with credentials", onRoute("    allow_origins: [\"https://*.example.com\"]\n    allow_credentials: true\n"),
			"subdomain-credentials", lint.Warning, `"https://*`, "subdomain of example.com"},
		{"subdomains without credentials", onRoute("    allow_origins: [\"https://*.example.com\"]\n"),
			"subdomain-credentials", "", "", ""},
		{"http origin", onRoute("    allow_origins: [http://app.example.com]\n"),
			"http-origin", lint.Info, "http://app", "use https"},
		{"http origin with credentials, dangerously", onRoute("    allow_origins: [http://app.example.com]\n    allow_credentials: true\n    dangerously_allow_insecure_origins: true\n"),
			"http-origin", lint.Warning, "http://app", "credentialed"},
		{"http on loopback", onRoute("    allow_origins: [\"http://localhost:*\", http://127.0.0.1:3000]\n"),
			"http-origin", "", "", ""},
		{"origin listed twice", onRoute("    allow_origins: [https://a.example.com, https://b.example.com, https://a.example.com]\n"),
			"duplicate-origin", lint.Warning, "https://a.example.com]", "first as item 1"},
		{"regex listed twice", onRoute("    allow_origin_regex: ['https://a\\.example\\.com', 'https://a\\.example\\.com']\n"),
			"duplicate-origin", lint.Warning, "'https://a\\.example\\.com']", "allow_origin_regex"},

		{"max age above Chrome's cap", onRoute("    allow_origins: [https://app.example.com]\n    max_age: 86400\n"),
			"max-age-capped", lint.Warning, "86400", "7200"},
		{"max age at Chrome's cap", onRoute("    allow_origins: [https://app.example.com]\n    max_age: 7200\n"),
			"max-age-capped", "", "", ""},
		{"no max age", onRoute("    allow_origins: [https://app.example.com]\n"),
			"max-age-default", lint.Info, "p:\n", "5 s"},
		{"caching disabled on purpose", onRoute("    allow_origins: [https://app.example.com]\n    max_age: -1\n"),
			"max-age-default", "", "", ""},
		{"Set-Cookie exposed", onRoute("    allow_origins: [https://app.example.com]\n    expose_headers: [X-Id, set-cookie]\n"),
			"expose-set-cookie", lint.Warning, "set-cookie", "never"},
		{"safelisted header exposed", onRoute("    allow_origins: [https://app.example.com]\n    expose_headers: [Content-Type]\n"),
			"expose-safelisted", lint.Info, "Content-Type", "always read"},
		{"* headers without Authorization", onRoute("    allow_origins: [https://app.example.com]\n    allow_headers: [\"*\"]\n"),
			"wildcard-authorization", lint.Warning, `"*"`, "Authorization"},
		{"* headers with Authorization", onRoute("    allow_origins: [https://app.example.com]\n    allow_headers: [\"*\", authorization]\n"),
			"wildcard-authorization", "", "", ""},
		{"POST in allow_methods", onRoute("    allow_origins: [https://app.example.com]\n    allow_methods: [PUT, POST]\n"),
			"safelisted-method", lint.Info, "POST", "always allowed"},
		{"private network", onRoute("    allow_origins: [https://app.example.com]\n    allow_private_network: true\n"),
			"private-network", lint.Info, "true", "private network"},
		{"mode upstream", onRoute("    mode: upstream\n"),
			"upstream-owned", lint.Info, "upstream\n", "crossgate scan"},
		{"mode shadow", onRoute("    allow_origins: [https://app.example.com]\n    mode: shadow\n"),
			"upstream-owned", lint.Info, "shadow", "mode gateway"},
		{"mode upstream is not linted as the gateway's", onRoute("    allow_origins: [\"*\"]\n    mode: upstream\n"),
			"wildcard-origin", "", "", ""},

		{"unused policy", doc("policies:\n  spare: {allow_origins: [https://app.example.com]}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: \"off\"}\n"),
			"unused-policy", lint.Info, "spare", `"spare"`},
		{"policy used only by defaults", doc("policies:\n  p: {allow_origins: [https://app.example.com]}\nroutes:\n  - {id: api, path_prefix: /, upstream: api}\ndefaults:\n  cors: p\n"),
			"unused-policy", "", "", ""},
		{"route without a policy", doc("routes:\n  - id: api\n    path_prefix: /\n    upstream: api\n"),
			"route-without-cors", lint.Warning, "id: api", `route "api"`},
		{"route shadowed by an earlier one", doc("routes:\n  - {id: all, path_prefix: /api/, upstream: api, cors: \"off\"}\n  - {id: writes, path_prefix: /api/, methods: [PUT], upstream: api, cors: \"off\"}\n"),
			"unreachable-route", lint.Warning, "{id: writes", `route "all" (line 5)`},
		{"routes apart by host, path or method", doc("routes:\n  - {id: reads, path_prefix: /api/, methods: [GET], upstream: api, cors: \"off\"}\n  - {id: writes, path_prefix: /api/, methods: [PUT, GET], upstream: api, cors: \"off\"}\n  - {id: other, hosts: [a.example.com], path_prefix: /api/, upstream: api, cors: \"off\"}\n  - {id: exact, path: /api/, upstream: api, cors: \"off\"}\n  - {id: all, path_prefix: /api/, upstream: api, cors: \"off\"}\n"),
			"unreachable-route", "", "", ""},
		{"HEAD served by an earlier GET route", doc("routes:\n  - {id: reads, path_prefix: /api/, methods: [GET], upstream: api, cors: \"off\"}\n  - {id: heads, path_prefix: /api/, methods: [HEAD], upstream: api, cors: \"off\"}\n"),
			"unreachable-route", lint.Warning, "{id: heads", `route "reads"`},
		{"hosts covered by an earlier route", doc("routes:\n  - {id: a, hosts: [A.example.com, b.example.com], path: /x, upstream: api, cors: \"off\"}\n  - {id: b, hosts: [a.example.com], path: /x, upstream: api, cors: \"off\"}\n"),
			"unreachable-route", lint.Warning, "{id: b", `route "a"`},
		{"route with cors off", doc("routes:\n  - id: api\n    path_prefix: /\n    upstream: api\n    cors: \"off\"\n"),
			"cors-off", lint.Info, `"off"`, "cannot read"},
		{"defaults with cors off", doc("routes:\n  - id: api\n    path_prefix: /\n    upstream: api\ndefaults:\n  cors: \"off\"\n"),
			"cors-off", lint.Info, `"off"`, "every route"},
		{"OPTIONS in a route's methods", doc("routes:\n  - id: api\n    path_prefix: /\n    methods: [GET, OPTIONS]\n    upstream: api\n    cors: \"off\"\n"),
			"route-options-method", lint.Info, "OPTIONS", "preflights"},
		{"credentials without csrf", doc("policies:\n  p: {allow_origins: [https://app.example.com], allow_credentials: true, max_age: 7200}\nroutes:\n  - id: api\n    path_prefix: /\n    upstream: api\n    cors: p\n"),
			"csrf-missing", lint.Info, "id: api", "fetch-metadata"},
		{"credentials with csrf", doc("policies:\n  p: {allow_origins: [https://app.example.com], allow_credentials: true}\nroutes:\n  - id: api\n    path_prefix: /\n    upstream: api\n    cors: p\n    csrf: {mode: fetch-metadata}\n"),
			"csrf-missing", "", "", ""},
		{"credentials on safe methods only", doc("policies:\n  p: {allow_origins: [https://app.example.com], allow_credentials: true}\nroutes:\n  - id: api\n    path_prefix: /\n    methods: [GET, HEAD]\n    upstream: api\n    cors: p\n"),
			"csrf-missing", "", "", ""},
	}
	covered := make(map[string]bool)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := lint.RuleByID(tt.rule); !ok {
				t.Fatalf("no rule %q", tt.rule)
			}
			findings := lint.Parse("gw.yaml", []byte(tt.file))
			var got []lint.Finding
			for _, f := range findings {
				if f.Rule == tt.rule {
					got = append(got, f)
				}
			}
			if tt.want == "" {
				for _, f := range got {
					t.Errorf("unexpected finding: %s", f)
				}
				return
			}
			covered[tt.rule] = true
			if len(got) != 1 {
				t.Fatalf("%d findings of %s, want 1; all findings:\n%s", len(got), tt.rule, text(findings))
			}
			f := got[0]
			line, col := where(tt.file, tt.at)
			if f.Severity != tt.want || f.File != "gw.yaml" || f.Line != line || f.Col != col {
				t.Errorf("got %s\nwant %s at gw.yaml:%d:%d", f, tt.want, line, col)
			}
			if !strings.Contains(f.Message, tt.msg) {
				t.Errorf("message %q lacks %q", f.Message, tt.msg)
			}
		})
	}
	for _, r := range lint.Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test that makes it fire", r.ID)
		}
	}
}

func text(fs []lint.Finding) string {
	var b strings.Builder
	_ = lint.WriteText(&b, fs)
	return b.String()
}

func TestRegistry(t *testing.T) {
	slug := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	seen := make(map[string]bool)
	for _, r := range lint.Rules() {
		if !slug.MatchString(r.ID) {
			t.Errorf("rule id %q is not a lower-case slug", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule id %q is used twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity != lint.Error && r.Severity != lint.Warning && r.Severity != lint.Info {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if !strings.HasSuffix(r.Summary, ".") || !strings.HasSuffix(r.Help, ".") {
			t.Errorf("%s: summary and help must be sentences: %q, %q", r.ID, r.Summary, r.Help)
		}
	}
	if len(seen) < 15 {
		t.Errorf("%d rules, want at least 15", len(seen))
	}
}

// TestREADMEListsEveryRule keeps the README's table of rules in step with
// the registry: a row per rule, starting with its id and default severity.
func TestREADMEListsEveryRule(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lint.Rules() {
		if row := "| `" + r.ID + "` | " + string(r.Severity); !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row %q...", row)
		}
	}
}

package lint_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
)

func TestShippedConfigsHaveNoErrors(t *testing.T) {
	tests := []struct {
		name string
		data func() ([]byte, error)
	}{
		{"embedded default", func() ([]byte, error) { return config.Default(), nil }},
		{"examples/crossgate.yaml", func() ([]byte, error) { return os.ReadFile("../examples/crossgate.yaml") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.data()
			if err != nil {
				t.Fatal(err)
			}
			fs := lint.Parse(tt.name, data)
			if err := lint.Refuse(fs); err != nil {
				t.Errorf("serve would refuse it:\n%v", err)
			}
		})
	}
}

// TestEmbeddedDefaultIsQuiet: crossgate serve without a config file serves
// the embedded default and logs its findings on every start; a newcomer's
// first start should log none.
func TestEmbeddedDefaultIsQuiet(t *testing.T) {
	if fs := lint.Parse("embedded default", config.Default()); len(fs) != 0 {
		t.Errorf("the embedded default has %d findings, want none: %+v", len(fs), fs)
	}
}

func TestCheck(t *testing.T) {
	valid := func() *config.Config {
		return &config.Config{
			Listen:    "127.0.0.1:8080",
			Policies:  map[string]*config.Policy{"web": {AllowOriginRegex: []string{"https://app.example.com"}, AllowCredentials: true, MaxAge: 7200, PreflightStatus: 204, Mode: config.ModeGateway}},
			Upstreams: map[string]*config.Upstream{"api": {Targets: []string{"http://127.0.0.1:9001"}, Timeout: config.DefaultTimeout}},
			Routes:    []*config.Route{{ID: "api", PathPrefix: "/", Upstream: "api", CORS: &config.PolicyRef{Name: "web"}, CSRF: &config.CSRF{Mode: config.CSRFFetchMetadata}}},
		}
	}
	tests := []struct {
		name   string
		change func(*config.Config)
		want   []string // each finding as Rule Severity Path
	}{
		{"built in code: paths, no positions", func(*config.Config) {},
			[]string{"unescaped-dot error policies.web.allow_origin_regex[0]"}},
		{"invalid: the errors of Validate and of the rules", func(c *config.Config) { c.Routes[0].Upstream = "nope" },
			[]string{"unescaped-dot error policies.web.allow_origin_regex[0]", "invalid-config error routes[0].upstream"}},
		{"invalid: a security error gets its rule", func(c *config.Config) { c.Policies["web"].AllowOrigins = []string{"*"} },
			[]string{"unescaped-dot error policies.web.allow_origin_regex[0]", "invalid-config error policies.web.allow_origins[0]", "wildcard-credentials error policies.web.allow_origins[0]"}},
		{"invalid: a rule's finding on a refused value is left to the error", func(c *config.Config) {
			c.Policies["web"].AllowOriginRegex = nil
			c.Policies["web"].AllowOrigins = []string{"null"}
		}, []string{"null-credentials error policies.web.allow_origins[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(c)
			var got []string
			for _, f := range lint.Check(c) {
				got = append(got, string(f.Rule)+" "+string(f.Severity)+" "+f.Path)
				if f.Line != 0 || f.File != "" {
					t.Errorf("a config built in code has no positions: %s", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseSortsErrorsFirstThenByPosition(t *testing.T) {
	src := onRoute("    allow_origins: [\"null\", \"https://*.example.com\"]\n    allow_origin_regex: ['https://a.example.com']\n    allow_headers: [\"*\"]\n    max_age: 7300\n")
	fs := lint.Parse("gw.yaml", []byte(src))
	if len(fs) < 4 {
		t.Fatalf("want at least 4 findings:\n%s", text(fs))
	}
	rank := map[lint.Severity]int{lint.Error: 0, lint.Warning: 1, lint.Info: 2}
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if rank[a.Severity] > rank[b.Severity] {
			t.Errorf("a %s before an %s:\n%s\n%s", a.Severity, b.Severity, a, b)
		}
		if a.Severity == b.Severity && (a.Line > b.Line || a.Line == b.Line && a.Col > b.Col) {
			t.Errorf("not sorted by position:\n%s\n%s", a, b)
		}
	}
}

// TestParseRefusedConfig checks that a config that serve refuses, here for
// "*" with credentials, gets every finding at once: the errors of
// validation, the errors and warnings of the rules, errors first.
func TestParseRefusedConfig(t *testing.T) {
	src := doc(`policies:
  open:
    allow_origins: ["*"]
    allow_credentials: true
  web:
    allow_origin_regex: ['https://app.example.com']
    allow_origins: ["null"]
    max_age: 7300
routes:
  - {id: a, path_prefix: /a/, upstream: api, cors: open}
  - {id: b, path_prefix: /b/, upstream: nowhere, cors: web}
`)
	fs := lint.Parse("gw.yaml", []byte(src))
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s %s %d", f.Severity, f.Rule, f.Line))
	}
	want := []string{
		"error wildcard-credentials " + line(src, `["*"]`),
		"warning unescaped-dot " + line(src, "'https://app"),
		"error invalid-config " + line(src, "nowhere"),
		"warning null-origin " + line(src, `["null"]`),
		"warning max-age-capped " + line(src, "7300"),
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if err := lint.Refuse(fs); err == nil {
		t.Error("Refuse accepted a config with errors")
	}
}

// line returns the line number, as text, of the first line of src that
// holds s.
func line(src, s string) string {
	l, _ := where(src, s)
	return strconv.Itoa(l)
}

func TestRefuse(t *testing.T) {
	src := onRoute("    allow_origin_regex: ['https://app.example.com']\n    allow_credentials: true\n    allow_origins: [\"https://*.example.com\"]\n")
	fs := lint.Parse("gw.yaml", []byte(src))
	err := lint.Refuse(fs)
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("Refuse returned %v, want a config.Errors", err)
	}
	if len(es) != 1 || es[0].File != "gw.yaml" || es[0].Line != 6 || !strings.HasSuffix(es[0].Msg, "[unescaped-dot]") {
		t.Errorf("Refuse keeps only the error, with its position and rule:\n%v", err)
	}
	if err := lint.Refuse(lint.Parse("gw.yaml", []byte(onRoute("    allow_origins: [\"null\"]\n")))); err != nil {
		t.Errorf("warnings refuse nothing: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(good, []byte(onRoute("    allow_origins: [https://app.example.com]\n    max_age: 7200\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := lint.Load(good)
	if err != nil || len(fs) != 0 {
		t.Errorf("Load(clean file) = %v, %v; want no findings", fs, err)
	}
	if _, err := lint.Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file): %v, want a not-exist error", err)
	}
}

func TestSummarize(t *testing.T) {
	f := func(rule string, sev lint.Severity, line int) lint.Finding {
		return lint.Finding{Rule: rule, Severity: sev, Line: line}
	}
	fs := []lint.Finding{
		f("csrf-missing", lint.Warning, 1), f("cors-off", lint.Warning, 2), f("csrf-missing", lint.Warning, 3),
		f("csrf-missing", lint.Warning, 4), f("unused-policy", lint.Info, 5), f("csrf-missing", lint.Error, 6),
		f("unused-policy", lint.Info, 7), f("unused-policy", lint.Info, 8),
	}
	shown, omitted := lint.Summarize(fs, 2)
	var lines []int
	for _, s := range shown {
		lines = append(lines, s.Line)
	}
	if want := []int{1, 2, 3, 5, 7}; !slices.Equal(lines, want) {
		t.Errorf("shown the findings of lines %v, want %v", lines, want)
	}
	want := []lint.Omitted{{Rule: "csrf-missing", Severity: lint.Error, Count: 2}, {Rule: "unused-policy", Severity: lint.Info, Count: 1}}
	if !slices.Equal(omitted, want) {
		t.Errorf("omitted %+v, want %+v", omitted, want)
	}
	if shown, omitted := lint.Summarize(fs, 10); len(shown) != len(fs) || omitted != nil {
		t.Errorf("with room for all: %d shown, %v omitted", len(shown), omitted)
	}
}

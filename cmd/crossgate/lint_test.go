package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = "listen: 127.0.0.1:0\nupstreams:\n  api: {targets: [http://127.0.0.1:9001]}\n"
	clean := write("clean.yaml", head+"policies:\n  web: {allow_origins: [https://app.example.com], max_age: 7200}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web}\n")
	warned := write("warned.yaml", head+"policies:\n  web: {allow_origins: [https://app.example.com, \"null\"], max_age: 7200}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web}\n")
	insecure := write("insecure.yaml", head+"policies:\n  web:\n    allow_origin_regex: ['https://app.example.com']\n    allow_credentials: true\n    max_age: 7200\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web, csrf: {mode: fetch-metadata}}\n")
	mixed := write("mixed.yaml", head+"policies:\n  web: {allow_origins: [\"*\"], allow_credentials: true}\n  other: {allow_origins: [\"null\"], max_age: 7200}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web, csrf: {mode: fetch-metadata}}\n  - {id: b, path_prefix: /b/, upstream: nowhere, cors: other}\n")
	invalid := write("invalid.yaml", head+"policies:\n  web: {allow_origins: [\"*\"], allow_credentials: true}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web}\n")

	tests := []cliCase{
		{"clean", []string{"lint", "-c", clean}, 0, `clean\.yaml: 0 errors, 0 warnings, 0 infos\n$`, "", nil},
		{"warnings alone pass", []string{"lint", "-c", warned}, 0, `warned\.yaml:5:\d+: warning null-origin: .*\n.*0 errors, 1 warning,`, "", nil},
		{"an insecure regex fails", []string{"lint", "-c", insecure}, 1, `insecure\.yaml:6:\d+: error unescaped-dot: .*https://appxexample\.com`, "", nil},
		{"a refused config fails with its errors", []string{"lint", "-c", invalid}, 1, `invalid\.yaml:5:\d+: error wildcard-credentials: `, "", nil},
		{"a refused config gets its warnings too, after its errors", []string{"lint", "-c", mixed}, 1,
			`(?s)^\S*mixed\.yaml:5:\d+: error wildcard-credentials: .*\n\S*mixed\.yaml:9:\d+: error invalid-config: .*\n\S*mixed\.yaml:6:\d+: warning null-origin: .*2 errors, 1 warning,`, "", nil},
		{"sarif of a refused config lists errors and warnings", []string{"lint", "-c", mixed, "--format", "sarif"}, 1,
			`(?s)"ruleId": "wildcard-credentials",\s*"ruleIndex": \d+,\s*"level": "error".*"ruleId": "invalid-config",\s*"ruleIndex": \d+,\s*"level": "error".*"ruleId": "null-origin",\s*"ruleIndex": \d+,\s*"level": "warning"`, "", []string{"$schema", "version", "runs"}},
		{"json", []string{"lint", "--format", "json", "-c", insecure}, 1, `"rule": "unescaped-dot"`, "", []string{"findings", "errors", "warnings", "infos"}},
		{"sarif", []string{"lint", "-c", warned, "--format", "sarif"}, 0, `"version": "2\.1\.0"`, "", []string{"$schema", "version", "runs"}},
		{"unknown format", []string{"lint", "--format", "xml", "-c", clean}, 2, "", `unknown format "xml"`, nil},
		{"bad flag", []string{"lint", "--nope"}, 2, "", "Usage: crossgate lint", nil},
		{"missing file", []string{"lint", "-c", filepath.Join(dir, "missing.yaml")}, 2, "", "missing.yaml", nil},
		{"stray argument", []string{"lint", clean}, 2, "", "name the file with -c", nil},
		{"serve refuses lint errors", []string{"serve", "-c", insecure}, 1, "", `insecure\.yaml:6:\d+: .*unescaped.*\[unescaped-dot\]`, nil},
	}
	runCases(t, tests)
}

// TestServeSummarizesLintFindings checks what serve logs of a config whose
// 25 routes share one finding: ten of them one by one, then a count of the
// other fifteen.
func TestServeSummarizesLintFindings(t *testing.T) {
	var b strings.Builder
	b.WriteString("upstreams:\n  api: {targets: [http://127.0.0.1:9001]}\nroutes:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "  - {id: r%d, path: /%d, upstream: api, cors: \"off\"}\n", i, i)
	}
	c, err := config.Parse("many.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if err := lintCheck(slog.New(slog.NewJSONHandler(&logs, nil)))(c); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != lintLogPerRule+1 {
		t.Fatalf("%d lines logged, want %d:\n%s", len(lines), lintLogPerRule+1, logs.String())
	}
	for _, l := range lines[:lintLogPerRule] {
		if !strings.Contains(l, `"lint":"cors-off"`) || !strings.Contains(l, `"line":`) {
			t.Errorf("not a cors-off finding: %s", l)
		}
	}
	last := lines[lintLogPerRule]
	if !strings.Contains(last, "... and 15 more findings of rule cors-off") || !strings.Contains(last, `"omitted":15`) {
		t.Errorf("last line does not count the rest: %s", last)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
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
	invalid := write("invalid.yaml", head+"policies:\n  web: {allow_origins: [\"*\"], allow_credentials: true}\nroutes:\n  - {id: api, path_prefix: /, upstream: api, cors: web}\n")

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // regexp the output must match
		stderr   string
		jsonKeys []string // top-level keys of a JSON stdout
	}{
		{"clean", []string{"lint", "-c", clean}, 0, `clean\.yaml: 0 errors, 0 warnings, 0 infos\n$`, "", nil},
		{"warnings alone pass", []string{"lint", "-c", warned}, 0, `warned\.yaml:5:\d+: warning null-origin: .*\n.*0 errors, 1 warning,`, "", nil},
		{"an insecure regex fails", []string{"lint", "-c", insecure}, 1, `insecure\.yaml:6:\d+: error unescaped-dot: .*https://appxexample\.com`, "", nil},
		{"a refused config fails with its errors", []string{"lint", "-c", invalid}, 1, `invalid\.yaml:5:\d+: error wildcard-credentials: `, "", nil},
		{"json", []string{"lint", "--format", "json", "-c", insecure}, 1, `"rule": "unescaped-dot"`, "", []string{"findings", "errors", "warnings", "infos"}},
		{"sarif", []string{"lint", "-c", warned, "--format", "sarif"}, 0, `"version": "2\.1\.0"`, "", []string{"$schema", "version", "runs"}},
		{"unknown format", []string{"lint", "--format", "xml", "-c", clean}, 2, "", `unknown format "xml"`, nil},
		{"bad flag", []string{"lint", "--nope"}, 2, "", "Usage: crossgate lint", nil},
		{"missing file", []string{"lint", "-c", filepath.Join(dir, "missing.yaml")}, 2, "", "missing.yaml", nil},
		{"stray argument", []string{"lint", clean}, 2, "", "name the file with -c", nil},
		{"serve refuses lint errors", []string{"serve", "-c", insecure}, 1, "", `insecure\.yaml:6:\d+: .*unescaped.*\[unescaped-dot\]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if tt.stdout != "" && !regexp.MustCompile(tt.stdout).MatchString(stdout.String()) {
				t.Errorf("stdout does not match %q:\n%s", tt.stdout, stdout.String())
			}
			if tt.stderr != "" && !regexp.MustCompile(tt.stderr).MatchString(stderr.String()) {
				t.Errorf("stderr does not match %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.jsonKeys != nil {
				var m map[string]any
				if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
					t.Fatalf("stdout is not one JSON object: %v", err)
				}
				for _, k := range tt.jsonKeys {
					if _, ok := m[k]; !ok {
						t.Errorf("JSON lacks %q", k)
					}
				}
			}
		})
	}
}

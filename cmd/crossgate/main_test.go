package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	reflecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}))
	defer reflecting.Close()
	clean := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer clean.Close()
	dropsNull := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "null" {
			panic(http.ErrAbortHandler)
		}
	}))
	defer dropsNull.Close()
	trustsNull := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		if r.Header.Get("Origin") == "null" {
			w.Header().Set("Access-Control-Allow-Origin", "null")
		}
	}))
	defer trustsNull.Close()
	port := reflecting.URL[strings.LastIndexByte(reflecting.URL, ':')+1:]

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: 127.0.0.1:0\npolicies:\n  web:\n    allow_origins: [\"*\"]\n    allow_credentials: true\n    alow_headers: [X]\n"), 0o600)

	tests := []cliCase{
		{"no command", nil, 2, "", "Usage: crossgate", nil},
		{"--help", []string{"--help"}, 0, "Usage: crossgate", "", nil},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"\n`, nil},
		{"mistyped command", []string{"chek"}, 2, "", `unknown command "chek"; did you mean "check"\?`, nil},
		{"command cut short", []string{"ser"}, 2, "", `did you mean "serve"\?`, nil},
		{"version", []string{"version"}, 0, `crossgate \S+\ncommit \S+\ngo1\.`, "", nil},
		{"--version", []string{"--version"}, 0, `crossgate \S+\ncommit \S+\ngo1\.`, "", nil},
		{"serve -h", []string{"serve", "-h"}, 0, "", `Usage: crossgate serve \[-c FILE\] \[--etcd URL,\.\.\. \[--etcd-prefix /crossgate\]\]\n  -c FILE\n`, nil},
		{"check -h spells flags as typed", []string{"check", "-h"}, 0, "", `(?s)  -X METHOD\n.*  --origin ORIGIN\n`, nil},
		{"lint -h", []string{"lint", "--help"}, 0, "", `  --format string\n`, nil},
		{"a bad flag", []string{"scan", "--jsn"}, 2, "", `flag provided but not defined: -jsn`, nil},
		{"lint without the file", []string{"lint", "-c", filepath.Join(dir, "missing.yaml")}, 2, "", `crossgate lint: config file .*missing\.yaml does not exist`, nil},
		{"serve refuses an invalid config with every error", []string{"serve", "-c", bad}, 1, "",
			`(?s)bad\.yaml:4:\d+: .*\*.*\n.*bad\.yaml:6:5: .*alow_headers.*allow_headers`, nil},
		{"serve without the file", []string{"serve", "-c", filepath.Join(dir, "missing.yaml")}, 2, "", `crossgate serve: config file .*missing\.yaml does not exist`, nil},
		{"serve refuses a file named without -c", []string{"serve", bad}, 2, "", `unexpected argument .*bad\.yaml.*; name the file with -c`, nil},
		{"demo refuses a stray argument", []string{"demo", "now"}, 2, "", `crossgate demo: unexpected argument "now"`, nil},
		{"scan finds a reflecting server", []string{"scan", "http://api.example.test:" + port + "/", "--resolve", "api.example.test:" + port + ":127.0.0.1"}, 1,
			`(?s)findings.*high +origin-reflection +Origin: https://evil\.com`, "", nil},
		{"scan explains its one finding", []string{"scan", trustsNull.URL}, 1,
			`^http://127\.0\.0\.1:\d+: 1 finding\n\nmedium  null-origin +Origin: null\n        HTTP 200; Access-Control-Allow-Origin: null; Vary: Origin\n        Cause: The endpoint trusts Origin: null, .*\.\n        Fix:   Remove null from the allowed origins\.\n$`, "", nil},
		{"scan --json", []string{"scan", "--json", reflecting.URL}, 1, `"class": "origin-reflection"`, "", []string{"url", "findings"}},
		{"scan a clean server", []string{"scan", clean.URL}, 0, "no misconfiguration found", "", nil},
		{"scan a URL without a scheme, as curl takes it", []string{"scan", strings.TrimPrefix(clean.URL, "http://") + "/api"}, 0, `^http://127\.0\.0\.1:\d+/api: no misconfiguration found`, "", nil},
		{"check a URL without a scheme", []string{"check", "localhost:" + port + "/api", "--origin", "https://app.example.test"}, 0, `> GET http://localhost:\d+/api\n`, "", nil},
		{"scan an unreachable host", []string{"scan", "http://127.0.0.1:1/"}, 2, "", `^crossgate scan: could not scan: Get "http://127\.0\.0\.1:1/": `, nil},
		{"check warns when an allowed answer echoes any origin", []string{"check", reflecting.URL, "--origin", "https://evil.com", "--credentials"}, 0,
			`(?s)ALLOWED: the page can read the response\.\n.*Warning: The server allows any origin: .*\nWarning: The server allows credentials .*\nWarning: The answer depends on the origin .* no Vary: Origin`, "", nil},
		{"check --untrusted", []string{"check", reflecting.URL, "--origin", "https://evil.com", "--untrusted"}, 0,
			`Warning: The server allowed https://evil\.com, an origin you marked as untrusted`, "", nil},
		{"check an ftp URL", []string{"check", "ftp://x/", "--origin", "https://app.example.test"}, 2, "", `^crossgate check: URL "ftp://x/": only http and https URLs can be checked\n$`, nil},
		{"scan a server that drops a probe", []string{"scan", dropsNull.URL}, 2, `(?s)no misconfiguration found in the \d+ probes answered\n\n1 of \d+ probes got no answer.*Origin: null: `, `could not scan: 1 of \d+ probes got no answer`, nil},
		{"scan with a bad --resolve", []string{"scan", "--resolve", "nonsense", clean.URL}, 2, "", "HOST:PORT:ADDR", nil},
	}
	runCases(t, tests)
}

// cliCase is one run of the command line and what it must print.
type cliCase struct {
	name     string
	args     []string
	code     int
	stdout   string // regexp the output must match
	stderr   string
	jsonKeys []string // top-level keys of a JSON stdout
}

func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tt := range cases {
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

// TestLintWithoutConfigFile: like serve, lint without -c and without a
// crossgate.yaml here audits the embedded default config, and says so.
func TestLintWithoutConfigFile(t *testing.T) {
	t.Chdir(t.TempDir())
	runCases(t, []cliCase{
		{"lint", []string{"lint"}, 0, `^embedded default: 0 errors, 0 warnings, 0 infos\n$`, "auditing the embedded default config", nil},
	})
}

package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
)

// FuzzParse checks that any input yields either a valid config or a list
// of errors, each with a position and on one line, and never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		designExample,
		string(config.Default()),
		"",
		"listen: ${CROSSGATE_FUZZ_UNSET:-127.0.0.1:8080}\n",
		"policies: {a: &a {allow_origins: [\"*\"]}, b: {<<: *a, allow_credentials: true}}\n",
		"routes: [{id: r, path: /, upstream: u, cors: off}]\nupstreams: {u: {targets: [\"http://127.0.0.1:1\"], timeout: 1s}}\n",
		"routes:\n  - id: r\n    path_prefix: /\n    upstream: u\n    cors: {allow_origins: [\"https://*.com\"], max_age: -2}\n",
		"a: &a [*a]\n",
		"a: &a {<<: *a}\n",
		"policies:\n  web: {allow_origins: [https://app.example.com}\n",
		"listen: 1\n---\nlisten: 2\n",
		"admin: {listen: \":0\", keys: [{name: a, key: $$, role: viewer}]}\n",
		"upstreams: {u: {targets: [\"http://127.0.0.1:1\"], retries: 2, max_fails: 3, fail_timeout: 5s, health_check: {path: \"/healthz?x=1\", interval: 1s, timeout: 1s, fails: 2, passes: 2}}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted a config that Validate refuses:\n%v", err)
			}
			return
		}
		if c != nil {
			t.Fatalf("Parse returned a config and an error: %v", err)
		}
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is %T, want a non-empty config.Errors: %v", err, err)
		}
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Col < 1 {
				t.Errorf("error without a position: %+v", e)
			}
			if strings.ContainsAny(e.Msg, "\r\n") {
				t.Errorf("message spans several lines: %q", e.Msg)
			}
		}
	})
}

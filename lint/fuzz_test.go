package lint_test

import (
	"testing"

	"github.com/crossgate/crossgate/lint"
)

// FuzzParse checks that linting any text, a config that serve refuses
// included, never panics, and that errors come first.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		onRoute("    allow_origins: [\"*\"]\n    allow_credentials: true\n"),
		onRoute("    allow_origin_regex: ['https://app.example.com', '(']\n    allow_methods: [put, TRACE]\n"),
		doc("routes:\n  -\n  - {id: a, path_prefix: /, upstream: nowhere, cors: missing}\n"),
		doc("routes: [{id: a, path: /, upstream: api, cors: {allow_origins: [\"null\"], allow_credentials: true}, methods: [GET, OPTIONS]}]\n"),
		doc("defaults: {cors: {allow_origins: [\"https://*.com\"]}}\nroutes: [{id: a, upstream: api}]\n"),
		"listen: [\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := lint.Parse("fuzz.yaml", data)
		seenNonError := false
		for _, f := range fs {
			if f.Severity != lint.Error {
				seenNonError = true
			} else if seenNonError {
				t.Fatalf("an error after a lesser finding: %s", f)
			}
			if f.Message == "" || f.Rule == "" {
				t.Fatalf("finding without rule or message: %#v", f)
			}
		}
	})
}

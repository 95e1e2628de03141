package importer_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/importer"
	"github.com/crossgate/crossgate/lint"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ from the current output")

// backends are the --backend values of the Gateway API cases.
var backends = map[string]string{
	"shop-api":     "http://127.0.0.1:9001",
	"auth":         "http://127.0.0.1:9002",
	"users":        "http://127.0.0.1:9003",
	"checkout-v1":  "http://127.0.0.1:9004",
	"checkout-v2":  "http://127.0.0.1:9005",
	"pci/payments": "https://payments.internal.example:8443",
	"web":          "http://127.0.0.1:9006",
}

// TestGolden converts each input of testdata/FORMAT/ and compares the
// config and findings with its .golden file, which -update rewrites. Each
// golden file is the config, then the findings as crossgate import prints
// them; a reviewer reads both.
func TestGolden(t *testing.T) {
	for _, f := range importer.Formats() {
		inputs, err := filepath.Glob(filepath.Join("testdata", string(f), "*"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, in := range inputs {
			if strings.HasSuffix(in, ".golden") {
				continue
			}
			n++
			t.Run(string(f)+"/"+filepath.Base(in), func(t *testing.T) {
				data, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				res, err := importer.Convert(f, []importer.Input{{Name: filepath.ToSlash(in), Data: data}}, importer.Options{Backends: backends})
				if err != nil {
					t.Fatal(err)
				}
				got := golden(res)
				file := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden"
				if *update {
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./importer -update to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("output differs from %s (run go test ./importer -update and review the diff):\n%s", file, got)
				}
				checkFindings(t, res)
			})
		}
		if n < 10 {
			t.Errorf("%s: %d inputs in testdata, want at least 10", f, n)
		}
	}
}

func golden(res *importer.Result) []byte {
	var b bytes.Buffer
	b.Write(res.Config)
	b.WriteString("\n# ---- findings ----\n")
	for _, f := range res.Findings {
		b.WriteString("# " + f.String() + "\n")
	}
	return b.Bytes()
}

// checkFindings checks what every conversion promises, whatever its
// input: errors first, every finding with a rule, a message and, for the
// input's own problems, a line.
func checkFindings(t *testing.T, res *importer.Result) {
	t.Helper()
	rank := map[lint.Severity]int{lint.Error: 0, lint.Warning: 1, lint.Info: 2}
	for i, f := range res.Findings {
		if f.Rule == "" || f.Message == "" {
			t.Errorf("finding without rule or message: %#v", f)
		}
		if strings.HasPrefix(f.File, "testdata/") && f.Rule != "no-routes" && f.Line == 0 {
			t.Errorf("finding on the input without a line: %s", f)
		}
		if i > 0 && rank[res.Findings[i-1].Severity] > rank[f.Severity] {
			t.Errorf("findings not errors first: %s before %s", res.Findings[i-1], f)
		}
	}
}

// TestREADMEListsEveryRule checks that the README's table of import rule
// ids has every id the importer reports.
func TestREADMEListsEveryRule(t *testing.T) {
	src, err := os.ReadFile("importer.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`rule[A-Za-z]+ += "([a-z-]+)"`).FindAllSubmatch(src, -1)
	if len(ids) < 20 {
		t.Fatalf("found %d rule ids in importer.go; has the const block moved?", len(ids))
	}
	for _, m := range ids {
		if !bytes.Contains(readme, []byte("| `"+string(m[1])+"` |")) {
			t.Errorf("README's import rule table lacks %s", m[1])
		}
	}
}

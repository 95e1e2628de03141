package importer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/importer"
)

// fuzzConvert checks that converting any input of format f never panics,
// writes YAML that crossgate lint can read (lint's findings on it are the
// command's way of saying why it does not pass), and reports every problem
// of the input itself with a line.
func fuzzConvert(f *testing.F, format importer.Format) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", string(format), "*"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil && filepath.Ext(s) != ".golden" {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := importer.Convert(format, []importer.Input{{Name: "in", Data: data}}, importer.Options{Backends: backends})
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			if fd.File == "in" && fd.Rule != "no-routes" && fd.Line == 0 {
				t.Fatalf("a finding on the input without a line: %s", fd)
			}
			if fd.File == "crossgate.yaml" && strings.Contains(fd.Message, "invalid YAML") {
				t.Fatalf("the output is not YAML:\n%s\n%s", fd, res.Config)
			}
		}
	})
}

func FuzzGatewayAPI(f *testing.F) { fuzzConvert(f, importer.GatewayAPI) }
func FuzzAPISIX(f *testing.F)     { fuzzConvert(f, importer.APISIX) }
func FuzzKong(f *testing.F)       { fuzzConvert(f, importer.Kong) }

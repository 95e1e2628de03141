package lint_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/lint"
)

// sample is a file with an error, a warning and an info.
var sample = doc("policies:\n  p:\n    allow_origin_regex: ['https://app.example.com']\n    allow_credentials: true\n" +
	"    allow_origins: [\"https://*.example.com\"]\n    allow_methods: [PUT, POST]\n    max_age: 7200\n" +
	"routes:\n  - {id: api, path_prefix: /, upstream: api, cors: p, csrf: {mode: fetch-metadata}}\n")

func TestFindingString(t *testing.T) {
	f := lint.Finding{Rule: "null-origin", Severity: lint.Warning, Message: "remove it"}
	tests := []struct {
		name       string
		file, path string
		line, col  int
		want       string
	}{
		{"in a file", "gw.yaml", "policies.p", 3, 5, "gw.yaml:3:5: warning null-origin: remove it"},
		{"at a position without a file", "", "policies.p", 3, 5, "3:5: warning null-origin: remove it"},
		{"in a config built in code", "gw.yaml", "policies.p", 0, 0, "gw.yaml: policies.p: warning null-origin: remove it"},
		{"at a path alone", "", "policies.p", 0, 0, "policies.p: warning null-origin: remove it"},
		{"nowhere", "", "", 0, 0, "warning null-origin: remove it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.File, f.Path, f.Line, f.Col = tt.file, tt.path, tt.line, tt.col
			if got := f.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	fs := lint.Parse("dir/gw.yaml", []byte(sample))
	var b bytes.Buffer
	if err := lint.WriteText(&b, fs); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^dir/gw\.yaml:\d+:\d+: (error|warning|info) [a-z-]+: \S.*$`)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(fs) || len(fs) < 3 {
		t.Fatalf("%d lines for %d findings:\n%s", len(lines), len(fs), b.String())
	}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("line is not FILE:LINE:COL: severity rule: message:\n%s", l)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name                    string
		file                    string
		errors, warnings, infos int
	}{
		{"findings", sample, 1, 1, 1},
		{"clean", onRoute("    allow_origins: [https://app.example.com]\n    max_age: 7200\n"), 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := lint.WriteJSON(&b, lint.Parse("gw.yaml", []byte(tt.file))); err != nil {
				t.Fatal(err)
			}
			var r struct {
				Findings []map[string]any `json:"findings"`
				Errors   *int             `json:"errors"`
				Warnings *int             `json:"warnings"`
				Infos    *int             `json:"infos"`
			}
			if err := json.Unmarshal(b.Bytes(), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b.String())
			}
			if r.Findings == nil || !bytes.Contains(b.Bytes(), []byte(`"findings": [`)) {
				t.Errorf("findings must be an array, even when empty:\n%s", b.String())
			}
			if r.Errors == nil || *r.Errors != tt.errors || *r.Warnings != tt.warnings || *r.Infos != tt.infos {
				t.Errorf("counts wrong:\n%s", b.String())
			}
			for _, f := range r.Findings {
				for _, k := range []string{"rule", "severity", "file", "line", "col", "path", "message"} {
					if _, ok := f[k]; !ok {
						t.Errorf("finding lacks %q: %v", k, f)
					}
				}
			}
		})
	}
}

// TestWriteSARIF checks the log against what SARIF 2.1.0 requires of the
// properties Crossgate writes, and what code-scanning services read.
func TestWriteSARIF(t *testing.T) {
	fs := lint.Parse("dir/my gw.yaml", []byte(sample))
	var b bytes.Buffer
	if err := lint.WriteSARIF(&b, fs); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name           string `json:"name"`
					InformationURI string `json:"informationUri"`
					Rules          []struct {
						ID                   string                 `json:"id"`
						ShortDescription     struct{ Text string }  `json:"shortDescription"`
						FullDescription      struct{ Text string }  `json:"fullDescription"`
						Help                 struct{ Text string }  `json:"help"`
						DefaultConfiguration struct{ Level string } `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex *int   `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("not the expected SARIF shape: %v", err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif") || len(log.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "crossgate" || !strings.HasPrefix(d.InformationURI, "https://") {
		t.Errorf("driver name %q, informationUri %q", d.Name, d.InformationURI)
	}
	levels := map[string]bool{"error": true, "warning": true, "note": true}
	if len(d.Rules) != len(lint.Rules()) {
		t.Errorf("%d rules in the driver, want %d", len(d.Rules), len(lint.Rules()))
	}
	for _, r := range d.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" || !levels[r.DefaultConfiguration.Level] {
			t.Errorf("incomplete rule: %+v", r)
		}
	}
	if len(run.Results) != len(fs) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(fs))
	}
	seen := make(map[string]bool)
	for i, res := range run.Results {
		f := fs[i]
		seen[res.Level] = true
		if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex does not point at rule %s", i, res.RuleID)
		}
		if res.RuleID != f.Rule || !levels[res.Level] || res.Message.Text != f.Message || len(res.Locations) != 1 {
			t.Errorf("result %d does not carry finding %s: %+v", i, f, res)
			continue
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "dir/my%20gw.yaml" || loc.Region.StartLine != f.Line || loc.Region.StartColumn != f.Col || f.Line < 1 {
			t.Errorf("result %d location %+v, want dir/my%%20gw.yaml:%d:%d", i, loc, f.Line, f.Col)
		}
	}
	for _, l := range []string{"error", "warning", "note"} {
		if !seen[l] {
			t.Errorf("no result of level %s: info must map to note", l)
		}
	}
}

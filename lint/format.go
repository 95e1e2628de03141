package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
)

// WriteText writes one finding per line, as FILE:LINE:COL: severity rule:
// message, the form editors and CI annotators recognise.
func WriteText(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}

// Report is the JSON form of a lint run.
type Report struct {
	// Findings come errors first, then warnings, then infos, each by
	// position; never null.
	Findings []Finding `json:"findings"`
	// Errors, Warnings and Infos count the findings of each severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// WriteJSON writes fs as one indented JSON object, a Report.
func WriteJSON(w io.Writer, fs []Finding) error {
	n := Count(fs)
	r := Report{Findings: fs, Errors: n[Error], Warnings: n[Warning], Infos: n[Info]}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure
// DevOps) read. Only the properties Crossgate fills are declared.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// InformationURI is where the rules are documented, in SARIF output.
	InformationURI = "https://github.com/crossgate/crossgate#crossgate-lint"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      sarifMessage       `json:"fullDescription"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Help                 sarifMessage       `json:"help"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// level maps a severity to SARIF's names.
func (s Severity) level() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes fs as a SARIF 2.1.0 log with one run, whose driver
// lists every rule. File names become relative URI references, which
// code-scanning services resolve against the repository's root.
func WriteSARIF(w io.Writer, fs []Finding) error {
	driver := sarifDriver{Name: "crossgate", InformationURI: InformationURI}
	for _, r := range rules {
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifMessage{r.Summary},
			FullDescription:      sarifMessage{r.Summary + " " + r.Help},
			DefaultConfiguration: sarifConfiguration{r.Severity.level()},
			Help:                 sarifMessage{r.Help},
		})
	}
	results := make([]sarifResult, 0, len(fs))
	for _, f := range fs {
		res := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: slices.IndexFunc(rules, func(r Rule) bool { return r.ID == f.Rule }),
			Level:     f.Severity.level(),
			Message:   sarifMessage{f.Message},
		}
		if f.File != "" {
			loc := sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: fileURI(f.File)}}
			if f.Line > 0 {
				loc.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Col}
			}
			res.Locations = []sarifLocation{{PhysicalLocation: loc}}
		}
		results = append(results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	})
}

// fileURI writes a file name as a URI reference: slashes, and percent
// escapes for spaces and the like. An absolute path becomes a file: URI.
func fileURI(name string) string {
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		if p[0] != '/' {
			p = "/" + p // a Windows drive letter
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

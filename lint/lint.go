// Package lint audits a Crossgate config for CORS that is insecure, broken
// or not what its author meant: the checks behind "crossgate lint", the
// Admin API's validate endpoint and the refusal of insecure configs by
// "crossgate serve".
//
// Each finding names a rule by a stable id, a lower-case slug such as
// "wildcard-credentials" or "unescaped-dot" (Rules lists them all, with
// their severity and help), and points at the value it is about as
// FILE:LINE:COL. A config that validation refuses is linted all the same,
// so that one run shows every problem: each of its errors becomes an error
// finding, of a rule of its own for the security mistakes validation
// refuses, else of "invalid-config", beside what the rules find. Findings
// come errors first, then warnings, then infos.
//
// Severities mean what a user should do: an error is a policy that lets
// other sites read what they must not, or that cannot work, and serve
// refuses it; a warning is probably a mistake; info is worth knowing.
// Some rules raise their default severity when the policy allows
// credentials, because then the same mistake leaks a user's data.
package lint

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
)

// Severity is how much a finding matters.
type Severity string

// Severities, from the most serious.
const (
	// Error: other sites can read what they must not, or the policy cannot
	// work. crossgate lint exits 1 and crossgate serve refuses the config.
	Error Severity = "error"
	// Warning: probably a mistake.
	Warning Severity = "warning"
	// Info: worth knowing, often harmless.
	Info Severity = "info"
)

// rank orders severities, the most serious first.
func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Finding is one problem a rule found in a config.
type Finding struct {
	// Rule is the stable id of the rule, e.g. "unescaped-dot".
	Rule string `json:"rule"`
	// Severity is the rule's, or higher when the policy allows
	// credentials.
	Severity Severity `json:"severity"`
	// File is the config's source; Line and Col are 1-based, and 0 when
	// the config was not parsed from text.
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	// Path locates the value in the config tree, as config.Error.Path
	// does: "policies.web.allow_origin_regex[0]".
	Path string `json:"path"`
	// Message says what is wrong and what to do.
	Message string `json:"message"`
}

// String formats f as FILE:LINE:COL: severity rule: message, placed as
// config.Error places a config's errors.
func (f Finding) String() string {
	e := config.Error{File: f.File, Line: f.Line, Col: f.Col, Path: f.Path, Msg: fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, f.Message)}
	return e.Error()
}

// Load lints the config file at path. The error is only for a file that
// cannot be read; a file that is not a valid config gives error findings.
func Load(path string) ([]Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data), nil
}

// Parse lints config text; filename is only used in findings. A config
// that config.Parse refuses is linted all the same, as far as it could be
// decoded: the findings are its errors and what the rules find in it.
func Parse(filename string, data []byte) []Finding {
	c, err := config.Decode(filename, data)
	if c == nil {
		return refused(filename, err)
	}
	return audit(c, err)
}

// ParseLiteral lints config text as Parse does, reading it with
// config.ParseLiteral: ${NAME} is not replaced from the environment. It
// lints configs sent to the Admin API, whose findings must not show the
// gateway's environment.
func ParseLiteral(filename string, data []byte) []Finding {
	c, err := config.ParseLiteral(filename, data)
	if err != nil {
		return refused(filename, err)
	}
	return Check(c)
}

// Check lints a config, such as one that config.Parse returned, and
// returns its findings, errors first, each severity sorted by position.
// A config that fails c.Validate, such as one built in code, gives the
// findings of its errors as well as those of the rules.
func Check(c *config.Config) []Finding {
	return audit(c, c.Validate())
}

// audit returns the findings of the errors err that validation found in
// c, if any, and of every rule. A rule's finding on a value that an error
// is about already, or on a value inside it, is left out: the error says
// more.
func audit(c *config.Config, err error) []Finding {
	var fs []Finding
	if err != nil {
		fs = refused(c.File(), err)
	}
	errs := len(fs)
	l := newLinter(auditable(c))
	for _, check := range checks {
		check(l)
	}
	for _, f := range l.findings {
		if !slices.ContainsFunc(fs[:errs], func(e Finding) bool { return e.Path != "" && inside(f.Path, e.Path) }) {
			fs = append(fs, f)
		}
	}
	return Sort(fs)
}

// auditable returns c, or a copy of it whose nil routes (which a refused
// config may hold) are empty ones, so that the rules need not check.
func auditable(c *config.Config) *config.Config {
	if !slices.Contains(c.Routes, nil) {
		return c
	}
	cc := *c
	cc.Routes = slices.Clone(c.Routes)
	for i, r := range cc.Routes {
		if r == nil {
			cc.Routes[i] = &config.Route{}
		}
	}
	return &cc
}

// inside reports whether path is base or a value inside it.
func inside(path, base string) bool {
	rest, ok := strings.CutPrefix(path, base)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// Refuse returns the error findings of fs as a config.Errors, the error
// that gateway.Server.Check returns to refuse a config, or nil when fs
// holds no error.
func Refuse(fs []Finding) error {
	var es config.Errors
	for _, f := range fs {
		if f.Severity == Error {
			es = append(es, &config.Error{File: f.File, Line: f.Line, Col: f.Col, Path: f.Path, Msg: f.Message + " [" + f.Rule + "]"})
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

// Count returns how many findings of each severity fs holds.
func Count(fs []Finding) map[Severity]int {
	n := map[Severity]int{Error: 0, Warning: 0, Info: 0}
	for _, f := range fs {
		n[f.Severity]++
	}
	return n
}

// refused turns the errors of a config that config.Parse refused into
// findings.
func refused(filename string, err error) []Finding {
	var es config.Errors
	if !errors.As(err, &es) {
		return []Finding{{Rule: ruleInvalidConfig, Severity: Error, File: filename, Message: err.Error()}}
	}
	fs := make([]Finding, 0, len(es))
	for _, e := range es {
		fs = append(fs, Finding{Rule: classify(e), Severity: Error, File: e.File, Line: e.Line, Col: e.Col, Path: e.Path, Message: e.Msg})
	}
	return Sort(fs)
}

// Sort orders fs errors first, then warnings, then infos, each by
// position, and drops exact duplicates; it returns the shortened slice.
// Tools that report findings of their own in lint's form (crossgate
// import) sort them so.
func Sort(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(fs)
}

// Omitted counts the findings of one rule that Summarize left out.
type Omitted struct {
	Rule     string
	Severity Severity
	Count    int
}

// Summarize shortens fs for a log that a person reads, such as the
// findings serve logs at start: the first perRule findings of each rule,
// in the order of fs, and for each rule with more, how many it left out,
// in the order the rules first appear. A config of 10,000 routes that
// share one mistake then logs perRule lines and a count, not 10,000 lines.
func Summarize(fs []Finding, perRule int) (shown []Finding, omitted []Omitted) {
	seen := make(map[string]int)
	at := make(map[string]int) // rule: index in omitted
	for _, f := range fs {
		if seen[f.Rule] < perRule {
			seen[f.Rule]++
			shown = append(shown, f)
			continue
		}
		i, ok := at[f.Rule]
		if !ok {
			i = len(omitted)
			at[f.Rule] = i
			omitted = append(omitted, Omitted{Rule: f.Rule, Severity: f.Severity})
		}
		omitted[i].Count++
		if f.Severity == Error || f.Severity == Warning && omitted[i].Severity == Info {
			omitted[i].Severity = f.Severity
		}
	}
	return shown, omitted
}

package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/cors"
)

// Error is one problem with a config, at a position in its source.
type Error struct {
	// File is the name of the source, as given to Parse.
	File string
	// Line and Col are 1-based. YAML syntax errors know only their line
	// and report column 1. Both are 0 when the config was not parsed from
	// text (a Config built in code and checked with Validate).
	Line, Col int
	// Path locates the offending value in the config tree, e.g.
	// "policies.web.allow_origins[2]" or "routes[0].upstream"; empty for
	// problems with the document as a whole.
	Path string
	// Msg says what is wrong and, where it can, what to do.
	Msg string
	// Code is the cors library's code for a problem it found in a CORS
	// policy; empty for every other problem. Unlike Msg, it is stable.
	Code cors.ProblemCode
}

// Error formats e as FILE:LINE:COL: message, the form editors and CI
// annotators recognise. Without a position it is FILE: PATH: message,
// and without a file the FILE part is left out.
func (e *Error) Error() string {
	where := e.File
	switch {
	case e.Line > 0:
		where = strings.TrimPrefix(fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col), ":")
	case e.Path != "" && where != "":
		where += ": " + e.Path
	case e.Path != "":
		where = e.Path
	}
	if where == "" {
		return e.Msg
	}
	return where + ": " + e.Msg
}

// Errors is every problem found in one config, sorted by position. Parse,
// Load and Validate return an Errors (never an empty one) when a config is
// refused.
type Errors []*Error

// Error returns one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted orders es by position and drops exact duplicates, which a YAML
// alias used in several places would otherwise report once per use.
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return *a == *b })
}

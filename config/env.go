package config

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// substitute replaces ${NAME} in every scalar value of the tree with the
// environment variable NAME. It works on nodes rather than on the file's
// text so that positions stay those of the file and a variable's value can
// never change the document's structure.
//
// ${NAME:-default} uses default when NAME is unset or empty; $$ is a
// literal $; a $ before anything else is kept, so that regular
// expressions ending in $ need no escaping.
func (d *decoder) substitute(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			d.substitute(c)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			d.substitute(n.Content[i])
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		v, problems := expand(n.Value, os.LookupEnv)
		for _, p := range problems {
			d.errorAt(n, "", "%s", p)
		}
		if len(problems) > 0 {
			d.unresolved[n] = true
			return
		}
		n.Value = v
		d.substituted[n] = true
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && n.Style&yaml.TaggedStyle == 0 {
			// A plain scalar takes the type its new text has, as if the
			// value had been written in the file.
			n.Tag = ""
			n.Tag = n.ShortTag()
		}
	}
	// Aliases are skipped: the node they point to is substituted where it
	// is defined, once.
}

// expand performs the substitution on one value and returns every problem
// it finds.
func expand(s string, lookup func(string) (string, bool)) (string, []string) {
	var b strings.Builder
	var problems []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			problems = append(problems, fmt.Sprintf("unterminated ${ in %q; close it with }, or write $$ for a literal $", s[i:]))
			break
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			problems = append(problems, fmt.Sprintf("${%s}: %q is not a variable name (letters, digits and _, not starting with a digit)", ref, name))
			continue
		}
		v, ok := lookup(name)
		switch {
		case (!ok || v == "") && hasDef:
			v = def
		case !ok:
			problems = append(problems, fmt.Sprintf("environment variable %s is not set; set it, or write ${%s:-default}", name, name))
			continue
		}
		b.WriteString(v)
	}
	return b.String(), problems
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

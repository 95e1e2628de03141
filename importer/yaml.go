package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
	"go.yaml.in/yaml/v3"
)

// maxDocuments bounds the YAML documents of one file.
const maxDocuments = 10000

// documents parses every YAML document of in (JSON is YAML too), each a
// node that knows its lines. A file that is not YAML gives an error
// finding at the line the parser names, and the documents before it.
func (d *doc) documents(in Input) (docs []*yaml.Node) {
	fail := func(err error) {
		e := config.SyntaxError(in.Name, in.Data, err)
		d.report(lint.Error, ruleInvalidInput, src{file: in.Name, line: e.Line, col: e.Col}, "%s", e.Msg)
	}
	// A bad file must give a finding, whatever the YAML library does
	// with it.
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("yaml: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(in.Data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			fail(err)
			return docs
		}
		if len(docs) == maxDocuments {
			d.report(lint.Error, ruleInvalidInput, src{file: in.Name, line: n.Line, col: n.Column}, "more than %d documents; split the file", maxDocuments)
			return docs
		}
		if len(n.Content) == 1 && !isNull(n.Content[0]) {
			docs = append(docs, n.Content[0])
		}
	}
}

// reader reads the values of one file, reporting at their lines what is
// not of the expected type.
type reader struct {
	d    *doc
	file string
	// near is where to point at a value that is absent: the object or
	// document being read.
	near *yaml.Node
}

func (r reader) at(n *yaml.Node, what string) src {
	if n == nil {
		n = r.near
	}
	if n == nil {
		return src{file: r.file, line: 1, col: 1, what: what}
	}
	return src{file: r.file, line: n.Line, col: n.Column, what: what}
}

func (r reader) bad(n *yaml.Node, what, format string, args ...any) {
	r.d.report(lint.Error, ruleInvalidInput, r.at(n, what), format, args...)
}

// deref follows aliases, at most a few times: an alias of an alias is
// rare, and a cycle must end.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// get returns the value of key in the mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if i := index(n, key); i >= 0 {
		if v := deref(deref(n).Content[i+1]); !isNull(v) {
			return v
		}
	}
	return nil
}

// keyNode returns the key node of key in the mapping n, for its position.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if i := index(n, key); i >= 0 {
		return deref(n).Content[i]
	}
	return nil
}

// index returns the index of key's node in the content of the mapping n,
// or -1.
func index(n *yaml.Node, key string) int {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// keys returns the keys of the mapping n, in order.
func keys(n *yaml.Node) []string {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

func (r reader) mapping(n *yaml.Node, what string) bool {
	if n = deref(n); n == nil || n.Kind != yaml.MappingNode {
		r.bad(n, what, "%s: expected a mapping, got %s", what, describe(n))
		return false
	}
	return true
}

// items returns the items of the list n; nothing for a null or absent n.
func (r reader) items(n *yaml.Node, what string) []*yaml.Node {
	if n = deref(n); isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.bad(n, what, "%s: expected a list, got %s", what, describe(n))
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = deref(c); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// str returns the scalar n as text; "" for an absent n.
func (r reader) str(n *yaml.Node, what string) string {
	if n = deref(n); isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		r.bad(n, what, "%s: expected a string, got %s", what, describe(n))
		return ""
	}
	return n.Value
}

// strs returns the list of scalars n.
func (r reader) strs(n *yaml.Node, what string) []string {
	var out []string
	for _, c := range r.items(n, what) {
		if c.Kind != yaml.ScalarNode {
			r.bad(c, what, "%s: expected a list of strings, got %s in it", what, describe(c))
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

func (r reader) boolean(n *yaml.Node, what string, def bool) bool {
	if n = deref(n); isNull(n) {
		return def
	}
	switch n.Value {
	case "true", "True", "TRUE":
		if n.Kind == yaml.ScalarNode {
			return true
		}
	case "false", "False", "FALSE":
		if n.Kind == yaml.ScalarNode {
			return false
		}
	}
	r.bad(n, what, "%s: expected true or false, got %s", what, describe(n))
	return def
}

// integer returns the number n; ok is false when it is absent or not a
// number (which is reported).
func (r reader) integer(n *yaml.Node, what string) (v int64, ok bool) {
	if n = deref(n); isNull(n) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode {
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return i, true
		}
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == float64(int64(f)) && f > -1e15 && f < 1e15 {
			return int64(f), true
		}
	}
	r.bad(n, what, "%s: expected a whole number, got %s", what, describe(n))
	return 0, false
}

func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Sprintf("%q", v)
}

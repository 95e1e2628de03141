package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Load reads the config file at path and parses it as Parse does.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a YAML config, substitutes environment variables, fills in
// defaults and validates the result as a whole. filename is only used in
// error messages. When the config is refused the error is an Errors that
// lists every problem, each with its line and column.
func Parse(filename string, data []byte) (*Config, error) {
	c, err := Decode(filename, data)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ParseLiteral is Parse without the substitution of environment variables:
// ${NAME} and $$ stay as they are. It reads configs that come from
// elsewhere than the gateway's own file, such as the Admin API's requests
// and a cluster's resources, which must not read (nor echo in an error)
// the gateway's environment.
func ParseLiteral(filename string, data []byte) (*Config, error) {
	c, err := decode(filename, data, false)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Decode does what Parse does, but returns the config even when Parse
// refuses it, together with the same error: tools that audit a config
// (crossgate lint) must look at one that the gateway refuses. The Config
// is nil only when the text is not YAML or is empty; otherwise it holds
// everything that could be decoded, and values that could not are left
// zero (a route may be nil, a policy name may name no policy). A Config
// that Decode returned with an error must never be served.
func Decode(filename string, data []byte) (*Config, error) {
	return decode(filename, data, true)
}

func decode(filename string, data []byte, substitute bool) (*Config, error) {
	d := &decoder{
		file: filename,
		// About one value per 12 bytes of a large file: growing the map
		// from empty cost a tenth of parsing 10,000 routes.
		pos:         make(map[string]position, len(data)/12),
		substituted: make(map[*yaml.Node]bool),
		unresolved:  make(map[*yaml.Node]bool),
		budget:      maxNodes + 2*len(data),
	}
	root, err := d.parseYAML(data)
	if err != nil {
		return nil, err
	}
	if root == nil || isNull(root) {
		// More likely a file caught in the middle of a write than a gateway
		// meant to serve nothing; refusing it keeps the last good config.
		return nil, Errors{{File: filename, Line: 1, Col: 1, Msg: "the config is empty"}}
	}
	if substitute {
		d.substitute(root)
	}
	c := d.config(root)
	c.file, c.pos = filename, d.pos
	c.compiled = &compiledPolicies{m: make(map[*Policy]compiledPolicy, len(c.Policies))}
	sum := sha256.Sum256(data)
	c.Revision = hex.EncodeToString(sum[:8])

	errs := d.errs
	if d.budget < 0 {
		// What was cut short would only add errors about missing values.
		return c, errs.sorted()
	}
	for _, e := range c.check() {
		if !d.explains(e) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return c, errs.sorted()
	}
	return c, nil
}

// maxNodes, plus two per byte of the file, bounds the work of decoding one
// document: merge keys can make a small file expand into a huge one, while
// a file without them holds fewer values than bytes (100,000 routes are
// about 2 million values in 7 MB).
const maxNodes = 1 << 20

// maxMergeDepth bounds chains of merge keys, which may be cyclic.
const maxMergeDepth = 16

type decoder struct {
	file        string
	errs        Errors
	pos         map[string]position
	substituted map[*yaml.Node]bool // scalars whose value came from the environment
	unresolved  map[*yaml.Node]bool // scalars whose substitution failed, already reported
	budget      int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of the YAML parser, as opposed to its
// scanner.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// SyntaxError returns the error of the YAML library (go.yaml.in/yaml/v3)
// about data, the text of file, as an Error at the line the library names,
// which it counts from 0 for some problems and from 1 for others. A tab in
// the indentation of that line is named as such.
func SyntaxError(file string, data []byte, err error) *Error {
	e := &Error{File: file, Line: 1, Col: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
		if slices.ContainsFunc(parserProblems, func(p string) bool { return strings.HasPrefix(e.Msg, p) }) {
			e.Line++
		}
	}
	if col := indentTab(data, e.Line); col > 0 {
		e.Col = col
		e.Msg = "a tab in the indentation; YAML indents with spaces only"
	}
	e.Msg = "invalid YAML: " + e.Msg
	return e
}

// indentTab returns the 1-based column of the first tab in the indentation
// of line n of data (counting from 1), or 0 if it has none. The YAML
// library reports such a tab as a character that "cannot start any token",
// which does not say what to change.
func indentTab(data []byte, n int) int {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return 0
		}
		data = data[j+1:]
	}
	for i, c := range data {
		switch c {
		case ' ':
			continue
		case '\t':
			return i + 1
		}
		return 0
	}
	return 0
}

// parseYAML returns the document's root node, or nil for an empty
// document.
func (d *decoder) parseYAML(data []byte) (root *yaml.Node, err error) {
	syntaxError := func(err error) error {
		return Errors{SyntaxError(d.file, data, err)}
	}
	// A bad file must produce an error, not take the gateway down, whatever
	// the YAML library does with it.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, syntaxError(fmt.Errorf("yaml: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(err)
	default:
		line, col := next.Line, next.Column
		if len(next.Content) > 0 {
			line, col = next.Content[0].Line, next.Content[0].Column
		}
		return nil, Errors{{File: d.file, Line: line, Col: col, Msg: "a config file holds one YAML document; remove the second one (after ---)"}}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// errorAt records a problem at n's position.
func (d *decoder) errorAt(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// explains reports whether a validation problem is a consequence of a
// problem the decoder already reported (a missing value because of a typo
// in its key, say), which would only add noise. They are related when they
// share a position, or when one lies inside the value the other is
// reported at.
func (d *decoder) explains(v *Error) bool {
	at := v.Path
	for at != "" {
		if _, ok := d.pos[at]; ok {
			break
		}
		at = parent(at)
	}
	for _, e := range d.errs {
		if e.Line == v.Line && e.Col == v.Col {
			return true
		}
		if e.Path != "" && at != "" && (within(at, e.Path) || within(e.Path, at)) {
			return true
		}
	}
	return false
}

// within reports whether path is base or inside it.
func within(path, base string) bool {
	if !strings.HasPrefix(path, base) {
		return false
	}
	rest := path[len(base):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

// record remembers where the value at path is: a scalar's own position,
// or for a mapping or list the position of its key, which reads better
// in a message about the whole collection.
func (d *decoder) record(path string, key, v *yaml.Node) {
	if v = deref(v); v.Kind == yaml.ScalarNode || key == nil {
		d.pos[path] = position{v.Line, v.Column}
		return
	}
	d.pos[path] = position{key.Line, key.Column}
}

type pair struct{ key, value *yaml.Node }

// pairs returns the key/value pairs of a mapping, with merge keys (<<)
// expanded: the mapping's own keys override merged ones, and earlier
// merged mappings override later ones, as YAML specifies.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	d.budget -= len(n.Content)
	if d.budget < 0 {
		if d.budget+len(n.Content) >= 0 {
			d.errorAt(n, path, "the document expands to too many values (merge keys?); simplify it")
		}
		return nil
	}
	own := make([]pair, 0, len(n.Content)/2)
	var merged []pair
	// Keys are looked up in a map only in large mappings: most have a
	// handful of keys, and 10,000 routes made 20,000 maps.
	var seen map[string]*yaml.Node
	if len(n.Content) > 2*smallMapping {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	find := func(key string) (*yaml.Node, bool) {
		if seen != nil {
			k, ok := seen[key]
			return k, ok
		}
		for _, p := range own {
			if p.key.Value == key {
				return p.key, true
			}
		}
		return nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		// Only "<<" or an explicit tag can be a merge key: resolving the
		// tag of every key costs more than the rest of decoding it.
		if k.Kind == yaml.ScalarNode && (k.Value == "<<" || k.Tag != "") && k.ShortTag() == "!!merge" {
			if depth >= maxMergeDepth {
				d.errorAt(k, path, "merge keys (<<) nested more than %d deep, or merging a mapping into itself", maxMergeDepth)
				continue
			}
			for _, m := range d.mergeSources(v, path) {
				merged = append(merged, d.pairs(m, path, depth+1)...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k, path, "expected a key, got %s", describe(k))
			continue
		}
		if first, dup := find(k.Value); dup {
			d.errorAt(k, child(path, k.Value), "key %q is already set at line %d", k.Value, first.Line)
			continue
		}
		if seen != nil {
			seen[k.Value] = k
		}
		own = append(own, pair{k, v})
	}
	if seen == nil && len(own)+len(merged) > smallMapping {
		seen = make(map[string]*yaml.Node, len(own)+len(merged))
		for _, p := range own {
			seen[p.key.Value] = p.key
		}
	}
	for _, p := range merged {
		if _, ok := find(p.key.Value); !ok {
			if seen != nil {
				seen[p.key.Value] = p.key
			}
			own = append(own, p)
		}
	}
	return own
}

// smallMapping is the most keys of a mapping whose duplicates pairs finds
// without a map.
const smallMapping = 16

func (d *decoder) mergeSources(v *yaml.Node, path string) []*yaml.Node {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, m := range v.Content {
			if m = deref(m); m.Kind == yaml.MappingNode {
				out = append(out, m)
			} else {
				d.errorAt(m, path, "<< merges mappings; got %s", describe(m))
			}
		}
		return out
	}
	d.errorAt(v, path, "<< merges a mapping or a list of mappings; got %s", describe(v))
	return nil
}

// fields decodes a mapping whose keys are known: each known key's value
// goes to its function, each unknown key is an error. what names the
// mapping in messages. A null value means the mapping is absent.
func (d *decoder) fields(n *yaml.Node, path, what string, known map[string]func(path string, v *yaml.Node)) {
	d.eachField(n, path, what,
		func(key string) bool { _, ok := known[key]; return ok },
		func() []string { return slices.Sorted(maps.Keys(known)) },
		func(key, p string, v *yaml.Node) { known[key](p, v) })
}

// eachField is fields for a mapping whose keys known tells and whose
// values decode decodes; names lists the keys, for the message about an
// unknown one. Mappings that come by the thousand, such as routes, use it
// with a table built once rather than one per mapping.
func (d *decoder) eachField(n *yaml.Node, path, what string, known func(key string) bool, names func() []string, decode func(key, path string, v *yaml.Node)) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "%s: expected a mapping, got %s", what, describe(n))
		return
	}
	for _, p := range d.pairs(n, path, 0) {
		key := p.key.Value
		kp := child(path, key)
		if !known(key) {
			d.errorAt(p.key, kp, "unknown key %q in %s%s", key, what, suggest(key, names()))
			continue
		}
		if isNull(deref(p.value)) {
			continue
		}
		d.record(kp, p.key, p.value)
		decode(key, kp, p.value)
	}
}

// entries decodes a mapping of names to values, such as policies.
func (d *decoder) entries(n *yaml.Node, path, what string, each func(name, path string, v *yaml.Node)) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "%s: expected a mapping of names, got %s", what, describe(n))
		return
	}
	for _, p := range d.pairs(n, path, 0) {
		name := p.key.Value
		d.record(child(path, name), p.key, p.value)
		each(name, child(path, name), p.value)
	}
}

// suggest returns a "did you mean" hint for a misspelt key.
func suggest(key string, names []string) string {
	if best := closest(key, names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; valid keys: " + strings.Join(names, ", ")
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a plausible typo.
func closest(s string, candidates []string) string {
	best, bestDist := "", 0
	// In order, so that of two candidates as near, the choice is stable.
	for _, c := range slices.Sorted(slices.Values(candidates)) {
		dist := editDistance(strings.ToLower(s), strings.ToLower(c))
		if dist <= max(1, min(3, len(c)/3)) && dist < min(len(s), len(c)) && (best == "" || dist < bestDist) {
			best, bestDist = c, dist
		}
	}
	return best
}

// editDistance is the number of insertions, deletions, substitutions
// and transpositions of adjacent bytes that turn a into b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// scalar returns n's scalar node, or reports what was expected instead.
// A scalar whose ${NAME} could not be substituted has no value: its problem
// is reported already, and its text is no evidence of a wrong type.
func (d *decoder) scalar(n *yaml.Node, path, what, expected string) (*yaml.Node, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		d.errorAt(n, path, "%s: expected %s, got %s", what, expected, describe(n))
		return nil, false
	}
	return n, !d.unresolved[n]
}

// tag is n's type; a value that came from the environment is typed by its
// text, even when it was quoted, since quoting "${VAR}" is a habit.
func (d *decoder) tag(n *yaml.Node) string {
	if d.substituted[n] {
		return (&yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}).ShortTag()
	}
	return n.ShortTag()
}

func (d *decoder) str(n *yaml.Node, path, what string) string {
	s, ok := d.scalar(n, path, what, "a string")
	if !ok {
		return ""
	}
	return s.Value
}

func (d *decoder) strs(n *yaml.Node, path, what string) []string {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorAt(n, path, "%s: expected a list of strings, got %s", what, describe(n))
		return nil
	}
	d.budget -= len(n.Content)
	if d.budget < 0 {
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		p := index(path, i)
		d.record(p, nil, e)
		if isNull(deref(e)) {
			d.errorAt(deref(e), p, "%s: expected a string, got an empty item", what)
			continue
		}
		out = append(out, d.str(e, p, what))
	}
	return out
}

func (d *decoder) boolean(n *yaml.Node, path, what string) bool {
	s, ok := d.scalar(n, path, what, "true or false")
	if !ok {
		return false
	}
	var b bool
	if d.tag(s) != "!!bool" || (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s.Value}).Decode(&b) != nil {
		d.errorAt(s, path, "%s: expected true or false, got %s", what, describe(s))
	}
	return b
}

// integer decodes a whole number. Its range is the field's to check, so
// that a value out of that range is reported with the range it must be in.
func (d *decoder) integer(n *yaml.Node, path, what string) int64 {
	s, ok := d.scalar(n, path, what, "an integer")
	if !ok {
		return 0
	}
	var i int64
	if d.tag(s) == "!!int" && (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: s.Value}).Decode(&i) == nil {
		return i
	}
	if _, err := strconv.ParseInt(s.Value, 10, 64); errors.Is(err, strconv.ErrRange) {
		d.errorAt(s, path, "%s: %s is too large", what, s.Value)
		return 0
	}
	d.errorAt(s, path, "%s: expected an integer, got %s", what, describe(s))
	return 0
}

// smallInt is integer for a field of type int, which may be narrower than
// 64 bits.
func (d *decoder) smallInt(n *yaml.Node, path, what string) int {
	i := d.integer(n, path, what)
	if int64(int(i)) != i {
		d.errorAt(deref(n), path, "%s: %d is too large", what, i)
		return 0
	}
	return int(i)
}

func (d *decoder) duration(n *yaml.Node, path, what string) time.Duration {
	s, ok := d.scalar(n, path, what, `a duration such as "30s"`)
	if !ok {
		return 0
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil {
		d.errorAt(s, path, "%s: expected a duration such as \"30s\" or \"1m30s\", got %s", what, describe(s))
	}
	return v
}

// maxAge decodes max_age: whole seconds, as Access-Control-Max-Age counts
// them (7200), or a duration as timeout takes one ("2h"), so that a file
// can write both the same way.
func (d *decoder) maxAge(n *yaml.Node, path, what string) int {
	s, ok := d.scalar(n, path, what, `seconds or a duration such as "2h"`)
	if !ok {
		return 0
	}
	if d.tag(s) == "!!int" {
		return d.smallInt(s, path, what)
	}
	v, err := time.ParseDuration(s.Value)
	switch {
	case err != nil:
		d.errorAt(s, path, "%s: expected seconds (7200) or a duration such as \"2h\", got %s", what, describe(s))
		return 0
	case v%time.Second != 0:
		d.errorAt(s, path, "%s: %s is not a whole number of seconds, which is all Access-Control-Max-Age can say", what, s.Value)
		return 0
	case v/time.Second > 1<<31:
		d.errorAt(s, path, "%s: %s is too large", what, s.Value)
		return 0
	}
	return int(v / time.Second)
}

// config decodes the document's root.
func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{Listen: DefaultListen}
	d.fields(root, "", "the config", map[string]func(string, *yaml.Node){
		"listen": func(p string, v *yaml.Node) { c.Listen = d.str(v, p, "listen") },
		"tls":    func(p string, v *yaml.Node) { c.TLS = d.tls(v, p) },
		"admin":  func(p string, v *yaml.Node) { c.Admin = d.admin(v, p) },
		"limits": func(p string, v *yaml.Node) {
			d.fields(v, p, "limits", map[string]func(string, *yaml.Node){
				"max_header_bytes": func(p string, v *yaml.Node) { c.Limits.MaxHeaderBytes = d.smallInt(v, p, "limits: max_header_bytes") },
				"max_connections":  func(p string, v *yaml.Node) { c.Limits.MaxConnections = d.smallInt(v, p, "limits: max_connections") },
			})
		},
		"policies": func(p string, v *yaml.Node) {
			c.Policies = make(map[string]*Policy)
			d.entries(v, p, "policies", func(name, p string, v *yaml.Node) {
				c.Policies[name] = d.policy(v, p, fmt.Sprintf("policy %q", name))
			})
		},
		"upstreams": func(p string, v *yaml.Node) {
			c.Upstreams = make(map[string]*Upstream)
			d.entries(v, p, "upstreams", func(name, p string, v *yaml.Node) {
				c.Upstreams[name] = d.upstream(v, p, fmt.Sprintf("upstream %q", name))
			})
		},
		"routes": func(p string, v *yaml.Node) { c.Routes = d.routes(v, p) },
		"defaults": func(p string, v *yaml.Node) {
			d.fields(v, p, "defaults", map[string]func(string, *yaml.Node){
				"cors": func(p string, v *yaml.Node) { c.Defaults.CORS = d.policyRef(v, p, "defaults") },
			})
		},
		"metrics": func(p string, v *yaml.Node) {
			d.fields(v, p, "metrics", map[string]func(string, *yaml.Node){
				"per_route": func(p string, v *yaml.Node) { c.Metrics.PerRoute = PerRoute(d.str(v, p, "metrics: per_route")) },
			})
		},
	})
	return c
}

func (d *decoder) tls(n *yaml.Node, path string) *TLS {
	t := &TLS{}
	d.fields(n, path, "tls", map[string]func(string, *yaml.Node){
		"cert_file": func(p string, v *yaml.Node) { t.CertFile = d.str(v, p, "tls: cert_file") },
		"key_file":  func(p string, v *yaml.Node) { t.KeyFile = d.str(v, p, "tls: key_file") },
	})
	return t
}

func (d *decoder) admin(n *yaml.Node, path string) *Admin {
	a := &Admin{}
	d.fields(n, path, "admin", map[string]func(string, *yaml.Node){
		"listen": func(p string, v *yaml.Node) { a.Listen = d.str(v, p, "admin: listen") },
		"keys": func(p string, v *yaml.Node) {
			d.items(v, p, "admin: keys", func(i int, p string, v *yaml.Node) {
				k := &AdminKey{}
				what := fmt.Sprintf("admin key %d", i+1)
				d.fields(v, p, what, map[string]func(string, *yaml.Node){
					"name": func(p string, v *yaml.Node) { k.Name = d.str(v, p, what+": name") },
					"key":  func(p string, v *yaml.Node) { k.Key = d.str(v, p, what+": key") },
					"role": func(p string, v *yaml.Node) { k.Role = Role(d.str(v, p, what+": role")) },
				})
				a.Keys = append(a.Keys, k)
			})
		},
	})
	return a
}

// items decodes a list whose elements are mappings.
func (d *decoder) items(n *yaml.Node, path, what string, each func(i int, path string, v *yaml.Node)) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorAt(n, path, "%s: expected a list, got %s", what, describe(n))
		return
	}
	for i, e := range n.Content {
		p := index(path, i)
		d.record(p, nil, e)
		each(i, p, e)
	}
}

func (d *decoder) policy(n *yaml.Node, path, what string) *Policy {
	p := &Policy{Mode: ModeGateway, PreflightStatus: DefaultPreflightStatus}
	if n = deref(n); n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "%s: expected a mapping of CORS settings, got %s", what, describe(n))
		return p
	}
	in := func(key string) string { return what + ": " + key }
	d.fields(n, path, what, map[string]func(string, *yaml.Node){
		"allow_origins":         func(k string, v *yaml.Node) { p.AllowOrigins = d.strs(v, k, in("allow_origins")) },
		"allow_origin_regex":    func(k string, v *yaml.Node) { p.AllowOriginRegex = d.strs(v, k, in("allow_origin_regex")) },
		"allow_methods":         func(k string, v *yaml.Node) { p.AllowMethods = d.strs(v, k, in("allow_methods")) },
		"allow_headers":         func(k string, v *yaml.Node) { p.AllowHeaders = d.strs(v, k, in("allow_headers")) },
		"expose_headers":        func(k string, v *yaml.Node) { p.ExposeHeaders = d.strs(v, k, in("expose_headers")) },
		"allow_credentials":     func(k string, v *yaml.Node) { p.AllowCredentials = d.boolean(v, k, in("allow_credentials")) },
		"max_age":               func(k string, v *yaml.Node) { p.MaxAge = d.maxAge(v, k, in("max_age")) },
		"allow_private_network": func(k string, v *yaml.Node) { p.AllowPrivateNetwork = d.boolean(v, k, in("allow_private_network")) },
		"timing_allow_origin":   func(k string, v *yaml.Node) { p.TimingAllowOrigin = d.boolean(v, k, in("timing_allow_origin")) },
		"preflight_status":      func(k string, v *yaml.Node) { p.PreflightStatus = d.smallInt(v, k, in("preflight_status")) },
		"enforce_origin":        func(k string, v *yaml.Node) { p.EnforceOrigin = d.boolean(v, k, in("enforce_origin")) },
		"mode":                  func(k string, v *yaml.Node) { p.Mode = Mode(d.str(v, k, in("mode"))) },
		"dangerously_allow_insecure_origins": func(k string, v *yaml.Node) {
			p.DangerouslyAllowInsecureOrigins = d.boolean(v, k, in("dangerously_allow_insecure_origins"))
		},
		"dangerously_allow_public_suffix_wildcards": func(k string, v *yaml.Node) {
			p.DangerouslyAllowPublicSuffixWildcards = d.boolean(v, k, in("dangerously_allow_public_suffix_wildcards"))
		},
	})
	return p
}

// policyRef decodes a cors setting: a policy name, off, or an inline
// policy.
func (d *decoder) policyRef(n *yaml.Node, path, what string) *PolicyRef {
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "off" {
			return &PolicyRef{Off: true}
		}
		return &PolicyRef{Name: n.Value}
	case yaml.MappingNode:
		return &PolicyRef{Inline: d.policy(n, path, what+": cors")}
	}
	d.errorAt(n, path, "%s: cors: expected a policy name, an inline policy mapping, or off, got %s", what, describe(n))
	return nil
}

func (d *decoder) upstream(n *yaml.Node, path, what string) *Upstream {
	u := &Upstream{Timeout: DefaultTimeout, Retries: DefaultRetries, MaxFails: DefaultMaxFails, FailTimeout: DefaultFailTimeout}
	if n = deref(n); n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "%s: expected a mapping with targets, got %s", what, describe(n))
		return u
	}
	in := func(key string) string { return what + ": " + key }
	d.fields(n, path, what, map[string]func(string, *yaml.Node){
		"targets":      func(p string, v *yaml.Node) { u.Targets = d.strs(v, p, in("targets")) },
		"timeout":      func(p string, v *yaml.Node) { u.Timeout = d.duration(v, p, in("timeout")) },
		"retries":      func(p string, v *yaml.Node) { u.Retries = d.smallInt(v, p, in("retries")) },
		"max_fails":    func(p string, v *yaml.Node) { u.MaxFails = d.smallInt(v, p, in("max_fails")) },
		"fail_timeout": func(p string, v *yaml.Node) { u.FailTimeout = d.duration(v, p, in("fail_timeout")) },
		"health_check": func(p string, v *yaml.Node) { u.HealthCheck = d.healthCheck(v, p, in("health_check")) },
	})
	return u
}

func (d *decoder) healthCheck(n *yaml.Node, path, what string) *HealthCheck {
	h := &HealthCheck{Interval: DefaultCheckInterval, Timeout: DefaultCheckTimeout, Fails: DefaultCheckFails, Passes: DefaultCheckPasses}
	in := func(key string) string { return what + ": " + key }
	d.fields(n, path, what, map[string]func(string, *yaml.Node){
		"path":     func(p string, v *yaml.Node) { h.Path = d.str(v, p, in("path")) },
		"interval": func(p string, v *yaml.Node) { h.Interval = d.duration(v, p, in("interval")) },
		"timeout":  func(p string, v *yaml.Node) { h.Timeout = d.duration(v, p, in("timeout")) },
		"fails":    func(p string, v *yaml.Node) { h.Fails = d.smallInt(v, p, in("fails")) },
		"passes":   func(p string, v *yaml.Node) { h.Passes = d.smallInt(v, p, in("passes")) },
	})
	return h
}

func (d *decoder) routes(n *yaml.Node, path string) []*Route {
	var routes []*Route
	d.items(n, path, "routes", func(i int, path string, n *yaml.Node) {
		r := &Route{}
		routes = append(routes, r)
		what := ""
		if n = deref(n); n.Kind == yaml.MappingNode {
			// Name the route by its id in every message, wherever the id
			// is written: among the route's own keys, or else in a mapping
			// it merges.
			if id, ok := routeID(n); ok {
				what = id
			} else if slices.ContainsFunc(n.Content, func(k *yaml.Node) bool { return k.Value == "<<" }) {
				for _, p := range d.pairs(n, path, 0) {
					if v := deref(p.value); p.key.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
						what = "route " + strconv.Quote(v.Value)
					}
				}
			}
		}
		if what == "" {
			what = "route " + strconv.Itoa(i+1)
		}
		d.eachField(n, path, what, isRouteField, routeFieldNames,
			func(key, p string, v *yaml.Node) { routeFields[key](d, r, p, what, v) })
	})
	return routes
}

// routeID returns "route \"ID\"" for the first id among the route's own
// keys, and whether there is one.
func routeID(n *yaml.Node) (string, bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "id" {
			if v := deref(n.Content[i+1]); v.Kind == yaml.ScalarNode && v.Value != "" {
				return "route " + strconv.Quote(v.Value), true
			}
			return "", true
		}
	}
	return "", false
}

// routeFields decode the keys of a route; what names the route.
var routeFields = map[string]func(d *decoder, r *Route, p, what string, v *yaml.Node){
	"id":    func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.ID = d.str(v, p, what+": id") },
	"hosts": func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.Hosts = d.strs(v, p, what+": hosts") },
	"path":  func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.Path = d.str(v, p, what+": path") },
	"path_prefix": func(d *decoder, r *Route, p, what string, v *yaml.Node) {
		r.PathPrefix = d.str(v, p, what+": path_prefix")
	},
	"methods": func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.Methods = d.strs(v, p, what+": methods") },
	"strip_prefix": func(d *decoder, r *Route, p, what string, v *yaml.Node) {
		r.StripPrefix = d.boolean(v, p, what+": strip_prefix")
	},
	"upstream": func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.Upstream = d.str(v, p, what+": upstream") },
	"max_body_bytes": func(d *decoder, r *Route, p, what string, v *yaml.Node) {
		r.MaxBodyBytes = d.integer(v, p, what+": max_body_bytes")
	},
	"cors": func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.CORS = d.policyRef(v, p, what) },
	"csrf": func(d *decoder, r *Route, p, what string, v *yaml.Node) { r.CSRF = d.csrf(v, p, what+": csrf") },
}

func isRouteField(key string) bool { _, ok := routeFields[key]; return ok }

func routeFieldNames() []string { return slices.Sorted(maps.Keys(routeFields)) }

func (d *decoder) csrf(n *yaml.Node, path, what string) *CSRF {
	c := &CSRF{}
	tokenTTL := false
	d.fields(n, path, what, map[string]func(string, *yaml.Node){
		"mode":         func(p string, v *yaml.Node) { c.Mode = CSRFMode(d.str(v, p, what+": mode")) },
		"exempt_paths": func(p string, v *yaml.Node) { c.ExemptPaths = d.strs(v, p, what+": exempt_paths") },
		"secret":       func(p string, v *yaml.Node) { c.Secret = d.str(v, p, what+": secret") },
		"cookie_domain": func(p string, v *yaml.Node) {
			c.CookieDomain = d.str(v, p, what+": cookie_domain")
		},
		"token_ttl": func(p string, v *yaml.Node) {
			c.TokenTTL, tokenTTL = d.duration(v, p, what+": token_ttl"), true
		},
	})
	if !tokenTTL && (c.Mode == CSRFToken || c.Mode == CSRFBoth) {
		c.TokenTTL = DefaultTokenTTL
	}
	return c
}

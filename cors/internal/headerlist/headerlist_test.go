package headerlist_test

import (
	"github.com/crossgate/crossgate/internal/fetch"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors/internal/headerlist"
)

func TestCheck(t *testing.T) {
	listed := []string{"authorization", "content-type", "x-foo", "x-request-id"}
	// many is more names than a Set compares one by one.
	many := append([]string{"a", "b", "c", "d", "e", "f", "g"}, listed...)
	tests := []struct {
		name    string
		allowed []string
		lines   []string
		want    headerlist.Result
		refused string
	}{
		{"nothing", listed, nil, headerlist.OK, ""},
		{"empty line", listed, []string{""}, headerlist.OK, ""},
		{"browser form", listed, []string{"authorization,content-type"}, headerlist.OK, ""},
		{"browser form, one name", listed, []string{"x-foo"}, headerlist.OK, ""},
		{"human form", listed, []string{"Content-Type, X-Foo"}, headerlist.OK, ""},
		{"upper case", listed, []string{"CONTENT-TYPE,AUTHORIZATION"}, headerlist.OK, ""},
		{"tabs", listed, []string{"\tcontent-type\t,\tx-foo\t"}, headerlist.OK, ""},
		{"spaces and tabs around commas", listed, []string{" x-foo \t, \t content-type "}, headerlist.OK, ""},
		{"any order", listed, []string{"x-request-id, authorization, content-type, x-foo"}, headerlist.OK, ""},
		{"several lines", listed, []string{"Content-Type", "x-foo, X-Request-Id", "authorization"}, headerlist.OK, ""},
		{"repeated name", listed, []string{"x-foo, X-Foo, x-foo"}, headerlist.OK, ""},
		{"empty elements", listed, []string{",x-foo,,content-type,", " , "}, headerlist.OK, ""},
		{"only commas", listed, []string{",,,"}, headerlist.OK, ""},

		{"not listed", listed, []string{"x-bar"}, headerlist.NotAllowed, "x-bar"},
		{"first refused name as sent", listed, []string{"content-type, X-Secret, X-Other"}, headerlist.NotAllowed, "X-Secret"},
		{"refused on a later line", listed, []string{"x-foo", " X-Secret "}, headerlist.NotAllowed, "X-Secret"},
		{"prefix of a listed name", listed, []string{"x-fo"}, headerlist.NotAllowed, "x-fo"},
		{"listed name as prefix", listed, []string{"x-foo-bar"}, headerlist.NotAllowed, "x-foo-bar"},
		{"stops at the first refused name", listed, []string{"x-bar, x;y"}, headerlist.NotAllowed, "x-bar"},
		{"many names/browser form", many, []string{"authorization,content-type"}, headerlist.OK, ""},
		{"many names/human form", many, []string{"Content-Type, X-Foo, G"}, headerlist.OK, ""},
		{"many names/not listed", many, []string{"a, x-bar"}, headerlist.NotAllowed, "x-bar"},
		{"many names/prefix of a listed name", many, []string{"X-Fo"}, headerlist.NotAllowed, "X-Fo"},
		{"empty set", nil, []string{"x-foo"}, headerlist.NotAllowed, "x-foo"},
		{"empty set, nothing listed", nil, []string{""}, headerlist.OK, ""},

		{"star allows any name", []string{"*"}, []string{"X-Anything, content-type,x-foo"}, headerlist.OK, ""},
		{"star excludes authorization", []string{"*"}, []string{"x-foo, authorization"}, headerlist.NotAllowed, "authorization"},
		{"star excludes Authorization in any case", []string{"*"}, []string{"AuthoriZation"}, headerlist.NotAllowed, "AuthoriZation"},
		{"star with authorization listed", []string{"*", "authorization"}, []string{"x-foo, Authorization"}, headerlist.OK, ""},
		{"star allows names like authorization", []string{"*"}, []string{"authorizationx, xauthorization, authorizatio"}, headerlist.OK, ""},

		{"space inside an element", listed, []string{"x foo"}, headerlist.Malformed, ""},
		{"semicolon", listed, []string{"x;y"}, headerlist.Malformed, ""},
		{"quoted name", listed, []string{`"x-foo"`}, headerlist.Malformed, ""},
		{"non-ASCII", listed, []string{"x-fö"}, headerlist.Malformed, ""},
		{"colon", listed, []string{"x-foo: 1"}, headerlist.Malformed, ""},
		{"carriage return", listed, []string{"x-foo\r"}, headerlist.Malformed, ""},
		{"newline", listed, []string{"x-foo\nx-foo"}, headerlist.Malformed, ""},
		{"NUL", listed, []string{"x-foo\x00"}, headerlist.Malformed, ""},
		{"vertical tab", listed, []string{"\vx-foo"}, headerlist.Malformed, ""},
		{"malformed after allowed names", listed, []string{"x-foo, content-type", "(x)"}, headerlist.Malformed, ""},
		{"malformed with star", []string{"*"}, []string{"a b"}, headerlist.Malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := headerlist.NewSet(tt.allowed)
			got, name := s.Check(tt.lines)
			if got != tt.want || name != tt.refused {
				t.Errorf("Check(%q) = %v, %q; want %v, %q", tt.lines, got, name, tt.want, tt.refused)
			}
		})
	}
}

// TestCheckBounds checks that each bound admits exactly its limit and
// refuses one more.
func TestCheckBounds(t *testing.T) {
	long := strings.Repeat("x", headerlist.MaxNameLength)
	names := func(n int) string { return strings.Repeat("x-foo,", n-1) + "x-foo" }
	lines := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = "x-foo"
		}
		return l
	}
	// bytes is one name padded with optional whitespace to n bytes.
	bytes := func(n int) []string { return []string{"x-foo" + strings.Repeat(" ", n-len("x-foo"))} }
	// Bytes spread over the maximum number of lines.
	spread := func(n int) []string {
		l := lines(headerlist.MaxLines)
		l[0] += strings.Repeat("\t", n-headerlist.MaxLines*len("x-foo"))
		return l
	}
	tests := []struct {
		name    string
		allowed []string
		lines   []string
		want    headerlist.Result
		refused string
	}{
		{"MaxLines", nil, lines(headerlist.MaxLines), headerlist.OK, ""},
		{"MaxLines+1", nil, lines(headerlist.MaxLines + 1), headerlist.TooLarge, ""},
		{"MaxLines+1 empty lines", nil, make([]string, headerlist.MaxLines+1), headerlist.TooLarge, ""},
		{"MaxBytes", nil, bytes(headerlist.MaxBytes), headerlist.OK, ""},
		{"MaxBytes+1", nil, bytes(headerlist.MaxBytes + 1), headerlist.TooLarge, ""},
		{"MaxBytes over MaxLines", nil, spread(headerlist.MaxBytes), headerlist.OK, ""},
		{"MaxBytes+1 over MaxLines", nil, spread(headerlist.MaxBytes + 1), headerlist.TooLarge, ""},
		{"MaxNames", nil, []string{names(headerlist.MaxNames)}, headerlist.OK, ""},
		{"MaxNames+1", nil, []string{names(headerlist.MaxNames + 1)}, headerlist.TooLarge, ""},
		{"MaxNames over two lines", nil, []string{names(headerlist.MaxNames / 2), names(headerlist.MaxNames / 2)}, headerlist.OK, ""},
		{"MaxNames+1 over two lines", nil, []string{names(headerlist.MaxNames / 2), names(headerlist.MaxNames/2 + 1)}, headerlist.TooLarge, ""},
		{"MaxEmpty", nil, []string{strings.Repeat(",", headerlist.MaxEmpty-1)}, headerlist.OK, ""},
		{"MaxEmpty+1", nil, []string{strings.Repeat(",", headerlist.MaxEmpty)}, headerlist.TooLarge, ""},
		// Between two names, k commas make k-1 empty elements.
		{"MaxEmpty among names", nil, []string{"x-foo" + strings.Repeat(", ", headerlist.MaxEmpty+1) + "x-foo"}, headerlist.OK, ""},
		{"MaxEmpty+1 among names", nil, []string{"x-foo" + strings.Repeat(", ", headerlist.MaxEmpty+2) + "x-foo"}, headerlist.TooLarge, ""},
		{"MaxEmpty as empty lines", nil, make([]string, headerlist.MaxEmpty), headerlist.OK, ""},
		{"MaxNameLength", []string{long}, []string{long}, headerlist.OK, ""},
		{"MaxNameLength with star", []string{"*"}, []string{long}, headerlist.OK, ""},
		{"MaxNameLength+1 with star", []string{"*"}, []string{long + "x"}, headerlist.NotAllowed, long + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed := tt.allowed
			if allowed == nil {
				allowed = []string{"x-foo"}
			}
			got, name := headerlist.NewSet(allowed).Check(tt.lines)
			if got != tt.want || name != tt.refused {
				t.Errorf("Check = %v, %q; want %v, %q", got, name, tt.want, tt.refused)
			}
		})
	}
}

// hostile holds values that must cost no more than an ordinary one.
var hostile = []struct {
	name  string
	lines []string
}{
	{"1,024 commas", []string{strings.Repeat(",", 1024)}},
	{"1 MB value", []string{strings.Repeat("x", 1<<20)}},
	{"1 MB of names", []string{strings.Repeat("x-foo,", 1<<20/6)}},
	{"10,000 names", []string{strings.Repeat("a,", 9999) + "a"}},
	{"empty elements then names, within MaxBytes", []string{strings.Repeat(",", 2048), strings.Repeat("a,", 1024)}},
	{"10,000 lines", make([]string, 10_000)},
	{"MaxBytes of commas", []string{strings.Repeat(",", headerlist.MaxBytes)}},
	{"MaxBytes of short names", []string{strings.Repeat("a,", headerlist.MaxBytes/2)}},
}

func TestCheckHostile(t *testing.T) {
	s := headerlist.NewSet([]string{"a", "x-foo"})
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			if got, name := s.Check(tt.lines); got != headerlist.TooLarge || name != "" {
				t.Errorf("Check = %v, %q; want TooLarge", got, name)
			}
		})
	}
}

func TestCheckAllocs(t *testing.T) {
	inputs := [][]string{
		{"authorization,content-type"},
		{"Content-Type, X-Foo", "x-request-id"},
		{"CONTENT-TYPE"},
		{"X-Not-Listed"},
		{"x;y"},
		{strings.Repeat("X", headerlist.MaxNameLength)},
		{strings.Repeat("X", headerlist.MaxNameLength+1)},
	}
	for _, h := range hostile {
		inputs = append(inputs, h.lines)
	}
	sets := map[string]*headerlist.Set{
		"listed": headerlist.NewSet([]string{"authorization", "content-type", "x-foo", "x-request-id", strings.Repeat("x", headerlist.MaxNameLength)}),
		"star":   headerlist.NewSet([]string{"*"}),
		"many":   headerlist.NewSet([]string{"a", "b", "c", "d", "e", "f", "g", "authorization", "content-type", "x-foo"}),
	}
	for setName, s := range sets {
		for _, lines := range inputs {
			allocs := testing.AllocsPerRun(20, func() { s.Check(lines) })
			if allocs != 0 {
				t.Errorf("%s: Check(%.30q) allocates %v times per call, want 0", setName, lines, allocs)
			}
		}
	}
}

// refCheck is a naive reading of the rules of Check, built from
// strings.Split and strings.Trim: the value is a comma-separated list of
// RFC 9110 tokens with optional whitespace (space and tab only, as in the
// RFC, so not strings.TrimSpace), within the bounds, each allowed.
func refCheck(allowed []string, lines []string) (headerlist.Result, string) {
	if len(lines) > headerlist.MaxLines || len(strings.Join(lines, "")) > headerlist.MaxBytes {
		return headerlist.TooLarge, ""
	}
	names, empty := 0, 0
	for _, line := range lines {
		for _, elem := range strings.Split(line, ",") {
			name := strings.Trim(elem, " \t")
			if name == "" {
				if empty++; empty > headerlist.MaxEmpty {
					return headerlist.TooLarge, ""
				}
				continue
			}
			if !refToken(name) {
				return headerlist.Malformed, ""
			}
			if names++; names > headerlist.MaxNames {
				return headerlist.TooLarge, ""
			}
			if !refAllowed(allowed, name) {
				return headerlist.NotAllowed, name
			}
		}
	}
	return headerlist.OK, ""
}

func refToken(s string) bool {
	const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i < len(s); i++ {
		if !strings.Contains(tchar, s[i:i+1]) {
			return false
		}
	}
	return true
}

func refAllowed(allowed []string, name string) bool {
	if len(name) > headerlist.MaxNameLength {
		return false
	}
	lower := strings.ToLower(name)
	star := false
	for _, a := range allowed {
		if a == lower {
			return true
		}
		star = star || a == "*"
	}
	return star && lower != "authorization"
}

// fuzzSets are the sets FuzzCheck checks against: a few listed names, more
// than a Set compares one by one, and "*" with and without authorization.
var fuzzSets = [][]string{
	{"authorization", "content-type", "x-foo", "x-foo-bar", "a"},
	{"authorization", "content-type", "x-foo", "x-foo-bar", "a", "b", "c", "d", "e", "x-"},
	{"*"},
	{"*", "authorization"},
}

func FuzzCheck(f *testing.F) {
	// A fuzzed value is split on newlines into header lines.
	for _, s := range []string{
		"", "authorization,content-type", "Content-Type, X-Foo", "\tx-foo\t,\tA", "x-foo\ncontent-type",
		",,x-foo,,", "x foo", "x;y", `"x"`, "x-fö", "X-Secret", "AUTHORIZATION", "x-foo-ba",
		strings.Repeat(",", 20), strings.Repeat("a,", 70), strings.Repeat("a\n", 20),
		strings.Repeat("x", 129), "x-foo\r", "a,\x00",
	} {
		f.Add(s)
	}
	sets := make([]*headerlist.Set, len(fuzzSets))
	for i, a := range fuzzSets {
		sets[i] = headerlist.NewSet(a)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lines := strings.Split(v, "\n")
		for i, s := range sets {
			got, name := s.Check(lines)
			want, wantName := refCheck(fuzzSets[i], lines)
			if got != want || name != wantName {
				t.Fatalf("set %q: Check(%q) = %v, %q; reference = %v, %q", fuzzSets[i], lines, got, name, want, wantName)
			}
			if got == headerlist.NotAllowed && (!fetch.IsToken(name) || !strings.Contains(v, name)) {
				t.Fatalf("set %q: Check(%q) refused %q, which is not a name it was sent", fuzzSets[i], lines, name)
			}
		}
	})
}

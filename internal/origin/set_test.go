package origin_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

// newSet parses patterns and builds a Set, failing the test on a bad one.
func newSet(tb testing.TB, patterns ...string) *origin.Set {
	tb.Helper()
	ps := make([]origin.Pattern, 0, len(patterns))
	for _, s := range patterns {
		p, err := origin.ParsePattern(s)
		if err != nil {
			tb.Fatalf("ParsePattern(%q): %v", s, err)
		}
		ps = append(ps, p)
	}
	return origin.NewSet(ps)
}

func TestSetMatch(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		allowed  []string
		refused  []string
	}{
		{
			name:     "subdomains",
			patterns: []string{"https://*.example.com"},
			allowed:  []string{"https://a.example.com", "https://a.b.example.com", "https://x-1.example.com"},
			refused: []string{
				"https://example.com", "https://evilexample.com", "https://example.com.evil.com",
				"http://a.example.com", "https://a.example.com:8443", "https://.example.com",
				"https://A.example.com", "https://a.example.com/", "https://a.example.com.",
				"https://a.example.co", "https://aexample.com", "null", "",
			},
		},
		{
			name:     "any port",
			patterns: []string{"http://localhost:*"},
			allowed:  []string{"http://localhost", "http://localhost:3000", "http://localhost:65535"},
			refused: []string{
				"http://localhost.evil.com", "https://localhost:3000", "http://localhost:80",
				"http://localhost:0", "http://localhost:", "http://a.localhost", "http://evillocalhost:3000",
				"http://localhost:03000",
			},
		},
		{
			name:     "exact with ports",
			patterns: []string{"https://a.com:8443", "http://a.com:8080", "https://[::1]:8443"},
			allowed:  []string{"https://a.com:8443", "http://a.com:8080", "https://[::1]:8443"},
			refused: []string{
				"https://a.com", "https://a.com:8080", "http://a.com:8443", "http://a.com",
				"https://b.a.com:8443", "https://[::1]", "http://[::1]:8443",
			},
		},
		{
			name: "many exact",
			patterns: []string{
				"https://a.com", "https://b.com", "https://c.com", "https://d.com", "https://e.com",
				"https://f.com:8443", "https://a.com",
			},
			allowed: []string{"https://a.com", "https://e.com", "https://f.com:8443"},
			refused: []string{"https://g.com", "https://f.com", "https://A.com", "https://a.com/", "http://a.com", "null", ""},
		},
		{
			name:     "exact hosts sharing a suffix",
			patterns: []string{"https://foo.com", "https://bar.com"},
			allowed:  []string{"https://foo.com", "https://bar.com"},
			refused:  []string{"https://barfoo.com", "https://foobar.com", "https://x.foo.com", "https://bar.com.foo.com"},
		},
		{
			name:     "subdomains sharing a suffix",
			patterns: []string{"https://*.foo.com", "https://*.bar.com"},
			allowed:  []string{"https://x.foo.com", "https://x.bar.com", "https://x.y.bar.com"},
			refused:  []string{"https://x.barfoo.com", "https://barfoo.com", "https://foo.com", "https://x.foobar.com", "https://bar.foo.com.evil"},
		},
		{
			name:     "subdomains with a port",
			patterns: []string{"https://*.example.com:8443"},
			allowed:  []string{"https://a.example.com:8443"},
			refused:  []string{"https://a.example.com", "https://a.example.com:8444", "https://example.com:8443"},
		},
		{
			name:     "subdomains and any port",
			patterns: []string{"https://*.example.com:*"},
			allowed:  []string{"https://a.example.com", "https://a.example.com:8443", "https://a.b.example.com:1"},
			refused:  []string{"https://example.com:8443", "http://a.example.com:8443", "https://a.example.com:443"},
		},
		{
			name:     "subdomains of one scheme, exact of another",
			patterns: []string{"https://*.example.com", "http://example.com"},
			allowed:  []string{"https://a.example.com", "http://example.com"},
			refused:  []string{"http://a.example.com", "https://example.com"},
		},
		{
			name:     "null",
			patterns: []string{"null", "https://a.com"},
			allowed:  []string{"null", "https://a.com"},
			refused:  []string{"Null", "null ", "https://null"},
		},
		{
			name:     "null not listed",
			patterns: []string{"https://a.com", "https://*.a.com", "http://a.com:*"},
			refused:  []string{"null"},
		},
		{
			name:     "any",
			patterns: []string{"*"},
			allowed:  []string{"https://a.com", "null", "http://[::1]:8080"},
		},
		{
			name:     "ipv4 and ipv6",
			patterns: []string{"http://127.0.0.1:*", "http://[::1]:*"},
			allowed:  []string{"http://127.0.0.1", "http://127.0.0.1:8080", "http://[::1]", "http://[::1]:8080"},
			refused:  []string{"http://127.0.0.2", "http://127.1:8080", "http://[::2]", "http://1.127.0.0.1"},
		},
		{
			name:     "empty set",
			patterns: nil,
			refused:  []string{"https://a.com", "null", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSet(t, tt.patterns...)
			for _, o := range tt.allowed {
				if !s.Match(o) {
					t.Errorf("%q refuses %q, want allowed", tt.patterns, o)
				}
			}
			for _, o := range tt.refused {
				if s.Match(o) {
					t.Errorf("%q allows %q, want refused", tt.patterns, o)
				}
			}
		})
	}
}

func TestSetAny(t *testing.T) {
	if newSet(t, "https://a.com", "null").Any() {
		t.Error(`Any() = true for a set without "*"`)
	}
	if !newSet(t, "https://a.com", "*").Any() {
		t.Error(`Any() = false for a set with "*"`)
	}
}

func TestSetMatchAllocs(t *testing.T) {
	s := newSet(t,
		"https://a.com", "https://a.com:8443", "http://localhost:*", "https://*.example.com",
		"https://*.example.org:*", "null",
	)
	inputs := []string{
		"https://a.com",                                // exact
		"http://localhost:3000",                        // any port
		"https://x.y.example.com",                      // subdomains
		"https://x.example.org:8443",                   // subdomains, any port
		"https://x.y.z.example.net",                    // no match after walking every label
		"null",                                         // null
		"https://A.com",                                // malformed
		strings.Repeat("a.", 5000),                     // hostile
		"https://" + strings.Repeat("a.", 150) + "com", // long host
	}
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(100, func() { s.Match(in) })
		if allocs != 0 {
			t.Errorf("Match(%.30q) allocates %v times per call, want 0", in, allocs)
		}
	}
}

// The property test and the fuzzers draw from small alphabets whose labels
// are suffixes of one another, so that near-misses are frequent.
var (
	genSchemes = []string{"http", "https", "https", "ws"}
	genLabels  = []string{"a", "b", "foo", "bar", "barfoo", "example", "com", "evil", "localhost", "1", "127"}
	genPorts   = []string{"", "", "", ":80", ":443", ":8080", ":3000"}
	// genNoise holds the bytes a mutation inserts: separators, wildcards,
	// upper case, and characters that end a host.
	genNoise = "./:*@?#[]A0 -_%"
)

func genHost(r *rand.Rand) string {
	switch r.IntN(20) {
	case 0:
		return "127.0.0.1"
	case 1:
		return "[::1]"
	}
	n := 1 + r.IntN(3)
	labels := make([]string, n)
	for i := range labels {
		labels[i] = genLabels[r.IntN(len(genLabels))]
	}
	return strings.Join(labels, ".")
}

// genPattern returns a pattern string that may or may not be valid.
func genPattern(r *rand.Rand) string {
	switch r.IntN(20) {
	case 0:
		return "*"
	case 1:
		return "null"
	}
	s := genSchemes[r.IntN(len(genSchemes))] + "://"
	if r.IntN(2) == 0 {
		s += "*."
	}
	s += genHost(r)
	if r.IntN(4) == 0 {
		return s + ":*"
	}
	return s + genPorts[r.IntN(len(genPorts))]
}

// genOrigin returns an Origin value: often one derived from a pattern of
// the set (so that matches are common), sometimes an unrelated one, and
// sometimes a mutation of either.
func genOrigin(r *rand.Rand, patterns []string) string {
	var s string
	switch n := r.IntN(10); {
	case n == 0:
		return "null"
	case n < 5 && len(patterns) > 0:
		p := patterns[r.IntN(len(patterns))]
		if p == "*" || p == "null" {
			p = genPattern(r)
		}
		s = p
		for strings.Contains(s, "*.") {
			s = strings.Replace(s, "*.", genHost(r)+".", 1)
		}
		if strings.HasSuffix(s, ":*") {
			s = strings.TrimSuffix(s, ":*") + genPorts[r.IntN(len(genPorts))]
		}
	default:
		s = genSchemes[r.IntN(len(genSchemes))] + "://" + genHost(r) + genPorts[r.IntN(len(genPorts))]
	}
	if r.IntN(4) == 0 {
		s = mutate(r, s)
	}
	return s
}

func mutate(r *rand.Rand, s string) string {
	if s == "" {
		return s
	}
	i := r.IntN(len(s))
	switch r.IntN(6) {
	case 0: // delete a byte
		return s[:i] + s[i+1:]
	case 1: // insert a byte
		return s[:i] + string(genNoise[r.IntN(len(genNoise))]) + s[i:]
	case 2: // upper-case a byte
		return s[:i] + strings.ToUpper(s[i:i+1]) + s[i+1:]
	case 3: // append something a browser never sends
		return s + []string{"/", ".", ":", ":0", ":080", ":65536", "?", "#"}[r.IntN(8)]
	case 4: // double a dot
		return strings.Replace(s, ".", "..", 1)
	default: // add userinfo
		return strings.Replace(s, "://", "://u@", 1)
	}
}

// TestSetMatchReference checks Set.Match against the naive reference on
// random pattern sets and origins.
func TestSetMatchReference(t *testing.T) {
	const sets, originsPerSet = 25_000, 4 // 100,000 pairs
	r := rand.New(rand.NewPCG(1, 2))
	var matches, refusals, invalid int
	for range sets {
		var patterns []string
		var parsed []origin.Pattern
		for range 1 + r.IntN(4) {
			s := genPattern(r)
			p, err := origin.ParsePattern(s)
			if valid := refPatternValid(s); (err == nil) != valid {
				t.Fatalf("ParsePattern(%q) error = %v, reference says valid = %v", s, err, valid)
			}
			if err != nil {
				continue
			}
			patterns = append(patterns, s)
			parsed = append(parsed, p)
		}
		set := origin.NewSet(parsed)
		for range originsPerSet {
			o := genOrigin(r, patterns)
			got, want := set.Match(o), refMatch(patterns, o)
			if got != want {
				t.Fatalf("patterns %q, origin %q: Match = %v, reference = %v", patterns, o, got, want)
			}
			if got {
				matches++
			} else {
				refusals++
			}
			if _, ok := refParse(o); !ok && o != "null" {
				invalid++
			}
		}
	}
	total := matches + refusals
	t.Logf("%d pairs: %d matches, %d refusals, %d malformed origins", total, matches, refusals, invalid)
	for name, n := range map[string]int{"matches": matches, "refusals": refusals, "malformed origins": invalid} {
		if n*10 < total {
			t.Errorf("only %d %s in %d pairs: the generator no longer exercises the property", n, name, total)
		}
	}
}

// fuzzPatterns is the fixed set FuzzSetMatch matches against: every kind of
// pattern, over hosts that share suffixes.
var fuzzPatterns = []string{
	"https://foo.com", "https://bar.com", "https://a.com:8443", "https://*.example.com",
	"https://*.b.foo.com:*", "http://localhost:*", "http://*.evil.com:8080", "http://[::1]:*",
	"http://127.0.0.1:3000", "custom+x://host", "null",
}

func FuzzSetMatch(f *testing.F) {
	for _, s := range []string{
		"https://foo.com", "https://barfoo.com", "https://a.example.com", "https://example.com",
		"https://example.com.evil.com", "https://x.b.foo.com:1", "http://localhost", "http://localhost:3000",
		"http://localhost.evil.com", "https://localhost:3000", "http://a.evil.com:8080", "http://[::1]:9",
		"http://127.0.0.1:3000", "null", "", "https://a.com:8443", "https://A.example.com",
		"https://a.example.com/", "custom+x://host",
	} {
		f.Add(s)
	}
	set := newSet(f, fuzzPatterns...)
	f.Fuzz(func(t *testing.T, o string) {
		if got, want := set.Match(o), refMatch(fuzzPatterns, o); got != want {
			t.Fatalf("Match(%q) = %v, reference = %v", o, got, want)
		}
	})
}

// fewSubdomainPatterns has subdomain patterns and no any-port pattern, so
// that Set.Match takes its suffix-comparing path.
var fewSubdomainPatterns = []string{
	"https://foo.com", "https://*.example.com", "https://*.b.foo.com:*", "http://*.evil.com:8080",
	"https://*.x-y_z.io",
}

func FuzzSetMatchSubdomains(f *testing.F) {
	for _, s := range []string{
		"https://a.example.com", "https://example.com", "https://a.example.com:443", "https://a.example.com:8443",
		"https://x.b.foo.com:1", "https://b.foo.com", "http://a.evil.com:8080", "http://a.evil.com",
		"https://a..example.com", "https://.example.com", "https://A.example.com", "https://a_b.x-y_z.io",
		"https://a.example.com.", "https://1.2.example.com", "ftp://a.example.com",
	} {
		f.Add(s)
	}
	set := newSet(f, fewSubdomainPatterns...)
	f.Fuzz(func(t *testing.T, o string) {
		if got, want := set.Match(o), refMatch(fewSubdomainPatterns, o); got != want {
			t.Fatalf("Match(%q) = %v, reference = %v", o, got, want)
		}
	})
}

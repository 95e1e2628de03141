package lint

import (
	"regexp"
	"testing"
)

// FuzzRegexAnalysis feeds the regex analysis arbitrary patterns: it must
// never panic, and every example it gives must be one the regex matches.
func FuzzRegexAnalysis(f *testing.F) {
	for _, s := range []string{`https://app.example.com`, `https://.*example\.com`, `https?://[a-z]+\.example\.com`, `.*`, `(a|b).c[.]d\.e`, `[^]].x`, `x{3,5}.y`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 256 {
			return
		}
		re, err := regexp.Compile(`^(?:` + src + `)$`)
		if err != nil {
			return
		}
		if example, _, ok := unescapedDot(src, re); ok && !re.MatchString(example) {
			t.Errorf("unescapedDot(%q) gives %q, which it does not match", src, example)
		}
		if probe := permissive(src, re); probe != "" && !re.MatchString(probe) {
			t.Errorf("permissive(%q) gives %q, which it does not match", src, probe)
		}
		bareDots(src)
	})
}

package lint

import (
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// regexes analyses each allow_origin_regex once, for the rules
// unescaped-dot and permissive-regex.
func (l *linter) regexes() {
	for _, u := range l.gatewayOwned() {
		for i, src := range u.p.AllowOriginRegex {
			re, err := regexp.Compile(`^(?:` + src + `)$`)
			if err != nil {
				continue // validation has refused it already
			}
			path := at(u.path, "allow_origin_regex", i)
			if example, exploitable, ok := unescapedDot(src, re); ok {
				sev := Warning
				if exploitable && u.p.AllowCredentials {
					sev = Error
				}
				l.reportAs(sev, ruleUnescapedDot, path,
					`%s: regex "%s" has an unescaped "." that matches any character, so it also allows %s; write "\." for a literal dot`, u.what, src, example)
			}
			if probe := permissive(src, re); probe != "" {
				sev := Warning
				if u.p.AllowCredentials {
					sev = Error
				}
				l.reportAs(sev, rulePermissiveRegex, path,
					`%s: regex "%s" also allows %s; anchor the scheme, escape dots and bound the host`, u.what, src, probe)
			}
		}
	}
}

// unescapedDot looks for a "." outside a character class, not escaped,
// between two name characters, as in "app.example.com": its author meant a
// literal dot. It returns an origin that re matches because of such a dot,
// preferring one whose host anyone can register (exploitable).
func unescapedDot(src string, re *regexp.Regexp) (example string, exploitable, ok bool) {
	dots := bareDots(src)
	for _, i := range dots {
		// Every other suspicious dot is read as meant, so that the
		// example differs from the intended origin in one place only.
		var b strings.Builder
		for j := 0; j < len(src); j++ {
			switch {
			case j == i:
				b.WriteByte('x')
			case slices.Contains(dots, j):
				b.WriteString(`\.`)
			default:
				b.WriteByte(src[j])
			}
		}
		s, found := sample(b.String())
		if !found || !re.MatchString(s) {
			continue
		}
		if !ok {
			example, ok = s, true
		}
		if registrable(s) {
			return s, true, true
		}
	}
	return example, false, ok
}

// bareDots returns the indexes of the dots of src that are not escaped,
// not in a character class, and stand between two parts of a name: after
// a name character or the end of a class, group or repetition
// ("[0-9]+.preview"), and before a name character.
func bareDots(src string) []int {
	var dots []int
	inClass := false
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			if strings.HasPrefix(src[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(src[i+1:], "]") {
				i++
			}
		case c == '.' && i > 0 && i+1 < len(src) && (nameChar(src[i-1]) || strings.IndexByte("])+*?}", src[i-1]) >= 0) && nameChar(src[i+1]):
			dots = append(dots, i)
		}
	}
	return dots
}

func nameChar(c byte) bool {
	return c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// registrable reports whether the host of origin is under a public suffix
// that anyone can register names in.
func registrable(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return false
	}
	_, icann := publicsuffix.PublicSuffix(u.Hostname())
	if !icann {
		return false
	}
	_, err = publicsuffix.EffectiveTLDPlusOne(u.Hostname())
	return err == nil
}

// permissive tries re on the origins attackers use against a regex meant
// for the origin it most plainly describes, and returns the first that it
// matches, or "".
func permissive(src string, re *regexp.Regexp) string {
	probes := []string{"https://evil.com", "http://evil.com", "null"}
	if meant, ok := sample(src); ok {
		// A host written as ".*\.example\.com" samples as ".example.com":
		// its author meant the subdomains of example.com.
		if u, err := url.Parse(meant); err == nil && strings.Contains(strings.TrimLeft(u.Hostname(), "."), ".") {
			host := strings.TrimLeft(u.Hostname(), ".")
			domain, err := publicsuffix.EffectiveTLDPlusOne(host)
			if err != nil {
				domain = host
			}
			probes = append(probes,
				"https://"+host+".evil.com",
				"https://"+domain+".evil.com",
				"https://evil"+domain,
				"https://evil-"+domain,
			)
			if u.Scheme == "https" {
				probes = append(probes, "http://"+host)
			}
		}
	}
	for _, p := range probes {
		if re.MatchString(p) {
			return p
		}
	}
	return ""
}

// sample returns the plainest string that the regex src describes: each
// optional part once, each repeated part its least number of times, the
// first branch of each alternation, and the first name character of each
// class. It is the origin the author most likely meant.
func sample(src string) (string, bool) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !write(&b, re.Simplify(), 0) {
		return "", false
	}
	return b.String(), true
}

// SampleMatch returns the plainest string that the regex src describes, as
// the regex rules use it: the origin its author most likely meant. Tools
// that explain what a regex allows (crossgate import) build their examples
// from it.
func SampleMatch(src string) (string, bool) { return sample(src) }

// maxSampleDepth bounds the recursion on deeply nested regexes.
const maxSampleDepth = 100

func write(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > maxSampleDepth || b.Len() > 1024 {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			s = strings.ToLower(s)
		}
		b.WriteString(s)
	case syntax.OpCharClass:
		b.WriteRune(classSample(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpPlus:
		return write(b, re.Sub[0], depth+1)
	case syntax.OpQuest:
		return write(b, re.Sub[0], depth+1)
	case syntax.OpRepeat:
		for range re.Min {
			if !write(b, re.Sub[0], depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !write(b, sub, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return write(b, re.Sub[0], depth+1)
	case syntax.OpNoMatch:
		return false
	}
	// Empty matches, anchors, boundaries and stars add nothing.
	return true
}

// classSample picks a character of a class given as ranges, preferring
// what a host name is made of.
func classSample(ranges []rune) rune {
	for _, want := range []rune{'a', '0', '-'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] >= 'a' && ranges[i] <= 'z' || ranges[i] >= '0' && ranges[i] <= '9' {
			return ranges[i]
		}
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'x'
}

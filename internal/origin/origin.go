// Package origin parses serialized web origins and the origin patterns of a
// CORS policy, and matches one against the other.
//
// Browsers send the Origin header in a canonical form (RFC 6454 and the URL
// Standard): a lower-case scheme, "://", a lower-case host (punycode for
// internationalised names, brackets around IPv6 literals) and a port only
// when it is not the scheme's default. Parse accepts exactly that form and
// nothing else, so that a pattern can never match something a browser would
// not send.
package origin

import (
	"net/netip"
	"strings"
)

// MaxLength bounds the length of an origin that Parse accepts. A host name is
// at most 253 bytes; the scheme, "://" and the port fit comfortably in the
// rest. Longer values are refused before any other work is done.
const MaxLength = 320

// Origin is a parsed serialized origin. Host holds the host exactly as sent
// (IPv6 literals keep their brackets). Port is -1 when the origin has none.
type Origin struct {
	Scheme string
	Host   string
	Port   int
}

// Parse parses s as a serialized origin in the canonical form browsers send.
// It reports false for anything else: upper case, a path, a trailing slash,
// userinfo, a query, an explicit default port, an empty host, or a value
// longer than MaxLength. It never allocates.
func Parse(s string) (Origin, bool) {
	if len(s) > MaxLength {
		return Origin{}, false
	}
	scheme, rest, ok := cutScheme(s)
	if !ok {
		return Origin{}, false
	}
	host, port, ok := CutPort(rest)
	if !ok {
		return Origin{}, false
	}
	if port >= 0 && port == DefaultPort(scheme) {
		return Origin{}, false
	}
	if !validHost(host) {
		return Origin{}, false
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, true
}

// DefaultPort returns the default port of a special scheme, or -1.
func DefaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return -1
}

// cutScheme splits "scheme://rest". The scheme must start with a lower-case
// letter and continue with lower-case letters, digits, '+', '-' or '.'.
func cutScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			if len(s) < i+3 || s[i+1] != '/' || s[i+2] != '/' {
				return "", "", false
			}
			return s[:i], s[i+3:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// CutPort splits "host[:port]", as in an origin or a Host header (a
// bracketed IPv6 literal keeps its brackets). The port is decimal,
// 1..65535, without leading zeros; -1 means there is none.
func CutPort(s string) (host string, port int, ok bool) {
	i := len(s) - 1
	for i >= 0 && '0' <= s[i] && s[i] <= '9' {
		i--
	}
	if i < 0 || s[i] != ':' || i == len(s)-1 {
		return s, -1, true
	}
	digits := s[i+1:]
	p, ok := parsePort(digits)
	if !ok {
		return "", 0, false
	}
	return s[:i], p, true
}

func parsePort(digits string) (int, bool) {
	if len(digits) == 0 || len(digits) > 5 || digits[0] == '0' {
		return 0, false
	}
	p := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		p = p*10 + int(c-'0')
	}
	if p > 65535 {
		return 0, false
	}
	return p, true
}

// validHost reports whether h is a canonical host: a bracketed IPv6 literal
// or a sequence of non-empty labels of lower-case letters, digits, '-' and
// '_' (some deployed names use it), each at most 63 bytes, 253 in all. IPv4
// addresses are such names as well; non-canonical dotted forms such as
// "127.1" are refused.
func validHost(h string) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == '[' {
		return validIPv6(h)
	}
	if len(h) > 253 || !validLabels(h) {
		return false
	}
	if lastLabelNumeric(h) {
		return isIPv4(h)
	}
	return true
}

// validLabels reports whether s is one or more non-empty dot-separated
// labels of lower-case letters, digits, '-' and '_', each at most 63 bytes.
func validLabels(s string) bool {
	label := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0
}

// lastLabelNumeric reports whether the last label is a number, decimal or
// "0x" hexadecimal: the URL Standard then parses the whole host as IPv4
// (browsers turn "0x7f000001" into "127.0.0.1"), so it must be a canonical
// dotted-decimal address.
func lastLabelNumeric(h string) bool {
	last := h[strings.LastIndexByte(h, '.')+1:]
	if len(last) >= 2 && last[0] == '0' && last[1] == 'x' {
		for i := 2; i < len(last); i++ {
			if !('0' <= last[i] && last[i] <= '9' || 'a' <= last[i] && last[i] <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

// isIPv4 reports whether h is a canonical dotted-decimal IPv4 address.
func isIPv4(h string) bool {
	if strings.Count(h, ".") != 3 {
		return false
	}
	start := 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			continue
		}
		part := h[start:i]
		if len(part) == 0 || len(part) > 3 || (len(part) > 1 && part[0] == '0') {
			return false
		}
		n := 0
		for j := 0; j < len(part); j++ {
			if part[j] < '0' || part[j] > '9' {
				return false
			}
			n = n*10 + int(part[j]-'0')
		}
		if n > 255 {
			return false
		}
		start = i + 1
	}
	return true
}

// validIPv6 accepts a bracketed IPv6 literal made of lower-case hex digits,
// ':' and '.', at most 47 bytes. The exact compressed form is not checked:
// such an origin only ever matches a pattern byte for byte.
func validIPv6(h string) bool {
	if len(h) < 4 || len(h) > 47 || h[len(h)-1] != ']' {
		return false
	}
	colons := 0
	for i := 1; i < len(h)-1; i++ {
		c := h[i]
		switch {
		case c == ':':
			colons++
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', c == '.':
		default:
			return false
		}
	}
	if colons < 2 {
		return false
	}
	// Browsers serialize an address in its shortest form (RFC 5952);
	// any other spelling is not an origin they send.
	a, err := netip.ParseAddr(h[1 : len(h)-1])
	var buf [48]byte
	return err == nil && a.Is6() && a.Zone() == "" && string(a.AppendTo(buf[:0])) == h[1:len(h)-1]
}

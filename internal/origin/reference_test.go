package origin_test

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/origin"
)

// This file holds a naive reference for the semantics of the package,
// written from the package documentation with plain string functions and
// without any of the package's code, so that tests and fuzzers can compare
// the fast implementation against an independent reading of the rules.

// refOrigin is an origin split by the reference parser. Port is the port as
// written, "" when there is none.
type refOrigin struct {
	scheme, host, port string
}

// refParse reports whether s is a serialized origin in the canonical form a
// browser sends, and splits it.
func refParse(s string) (refOrigin, bool) {
	if len(s) > origin.MaxLength {
		return refOrigin{}, false
	}
	scheme, rest, found := strings.Cut(s, "://")
	if !found || !refScheme(scheme) {
		return refOrigin{}, false
	}
	var host, port string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return refOrigin{}, false
		}
		host = rest[:end+1]
		after := rest[end+1:]
		if after != "" {
			p, ok := strings.CutPrefix(after, ":")
			if !ok {
				return refOrigin{}, false
			}
			port = p
			if port == "" {
				return refOrigin{}, false
			}
		}
		if !refIPv6(host) {
			return refOrigin{}, false
		}
	} else {
		h, p, hasPort := strings.Cut(rest, ":")
		host, port = h, p
		if hasPort && port == "" {
			return refOrigin{}, false
		}
		if !refName(host) {
			return refOrigin{}, false
		}
	}
	if port != "" && !refPort(scheme, port) {
		return refOrigin{}, false
	}
	return refOrigin{scheme: scheme, host: host, port: port}, true
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
)

// refScheme: a lower-case letter, then lower-case letters, digits, "+-.".
func refScheme(s string) bool {
	if s == "" || !strings.ContainsRune(lower, rune(s[0])) {
		return false
	}
	return onlyBytes(s, lower+digits+"+-.")
}

// refPort: decimal 1..65535 without leading zeros, and not the scheme's
// default port, which browsers leave out.
func refPort(scheme, p string) bool {
	if !onlyBytes(p, digits) || strings.HasPrefix(p, "0") {
		return false
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return false
	}
	defaults := map[string]string{"http": "80", "ws": "80", "https": "443", "wss": "443", "ftp": "21"}
	return defaults[scheme] != p
}

// refName: dot-separated labels of lower-case letters, digits, '-' and '_',
// each 1..63 bytes, 253 in all. When the last label is numeric the URL
// Standard reads the host as IPv4, so it must then be dotted-decimal with
// four parts 0..255 and no leading zeros.
func refName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || !onlyBytes(l, lower+digits+"-_") {
			return false
		}
	}
	// A last label that is a number, decimal or "0x" hexadecimal, makes the
	// URL Standard read the whole host as IPv4.
	last := labels[len(labels)-1]
	hex, isHex := strings.CutPrefix(last, "0x")
	if !onlyBytes(last, digits) && !(isHex && onlyBytes(hex, digits+"abcdef")) {
		return true
	}
	return refIPv4(h)
}

func refIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || !onlyBytes(p, digits) || (len(p) > 1 && p[0] == '0') {
			return false
		}
		if n, err := strconv.Atoi(p); err != nil || n > 255 {
			return false
		}
	}
	return true
}

// refIPv6: brackets around an IPv6 address in the shortest form browsers
// serialize it in (RFC 5952, as net/netip writes it).
func refIPv6(h string) bool {
	inner, ok := strings.CutPrefix(h, "[")
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, "]")
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(inner)
	return err == nil && a.Is6() && a.Zone() == "" && a.String() == inner
}

func onlyBytes(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(set, rune(s[i])) {
			return false
		}
	}
	return true
}

// refPatternValid reports whether s is a valid allowed-origin pattern: "*",
// "null", or an origin whose host may start with "*." (one or more labels
// of a domain name, never of an IP address) and whose port may be "*".
func refPatternValid(s string) bool {
	if s == "*" || s == "null" {
		return true
	}
	if len(s) > origin.MaxLength {
		return false
	}
	o, ok := refParse(refConcrete(s))
	if !ok {
		return false
	}
	if strings.HasSuffix(s, ":*") && o.port != "" {
		// "a://a:1:*": a port and then any port.
		return false
	}
	sub := strings.Contains(s, "://*.")
	ip := strings.HasPrefix(o.host, "[") || refIPv4(o.host)
	return !(sub && ip)
}

// refConcrete removes the wildcards of a pattern: "*." in front of the host
// and ":*" at the end, leaving an origin to validate.
func refConcrete(s string) string {
	s = strings.Replace(s, "://*.", "://", 1)
	s, _ = strings.CutSuffix(s, ":*")
	return s
}

// refMatch reports whether any of the patterns (all valid) allows the raw
// Origin value v.
func refMatch(patterns []string, v string) bool {
	for _, p := range patterns {
		if p == "*" {
			return true
		}
	}
	if v == "null" {
		for _, p := range patterns {
			if p == "null" {
				return true
			}
		}
		return false
	}
	o, ok := refParse(v)
	if !ok {
		return false
	}
	for _, p := range patterns {
		if p == "null" {
			continue
		}
		scheme, rest, _ := strings.Cut(p, "://")
		if scheme != o.scheme {
			continue
		}
		host, port := rest, ""
		if strings.HasSuffix(rest, ":*") {
			host, port = strings.TrimSuffix(rest, ":*"), "*"
		} else if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.HasSuffix(rest, "]") {
			host, port = rest[:i], rest[i+1:]
		}
		if port != "*" && port != o.port {
			continue
		}
		if base, ok := strings.CutPrefix(host, "*."); ok {
			if strings.HasSuffix(o.host, "."+base) {
				return true
			}
		} else if host == o.host {
			return true
		}
	}
	return false
}

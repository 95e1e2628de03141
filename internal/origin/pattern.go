package origin

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// AnyPort is the Port of a pattern written with ":*".
const AnyPort = -2

// Kind tells what a Pattern stands for.
type Kind uint8

const (
	// Exact matches one serialized origin.
	Exact Kind = iota
	// Subdomains matches every origin whose host ends with "." + Host and
	// has at least one label more ("https://*.example.com").
	Subdomains
	// Any is "*".
	Any
	// Null is the opaque origin "null".
	Null
)

// Pattern is a parsed allowed-origin pattern. For Exact and Subdomains, Host
// is the host without any "*." and Port is -1 (none), AnyPort, or a number.
type Pattern struct {
	Kind   Kind
	Scheme string
	Host   string
	Port   int
	// Raw is the pattern as written.
	Raw string
}

// ParsePattern parses one allowed-origin pattern: "*", "null", an origin in
// canonical form, or one with "*." in front of its host (one or more labels)
// and/or ":*" as its port. The error says what is wrong in plain words.
func ParsePattern(s string) (Pattern, error) {
	switch s {
	case "*":
		return Pattern{Kind: Any, Raw: s}, nil
	case "null":
		return Pattern{Kind: Null, Raw: s}, nil
	case "":
		return Pattern{}, errors.New("empty origin")
	}
	if len(s) > MaxLength {
		return Pattern{}, fmt.Errorf("longer than %d bytes", MaxLength)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return Pattern{}, nonASCII()
		}
	}
	if strings.ToLower(s) != s {
		return Pattern{}, withFix("browsers send origins in lower case", s)
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return Pattern{}, errors.New(`not an origin: write scheme://host[:port], e.g. "https://app.example.com"`)
	}
	scheme, rest := s[:i], s[i+3:]
	if _, _, ok := cutScheme(s[:i+3]); !ok {
		return Pattern{}, fmt.Errorf("invalid scheme %q", scheme)
	}
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		return Pattern{}, withFix("an origin has no path, query or trailing slash", s)
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return Pattern{}, withFix("an origin has no userinfo (user:password@) and browsers never send one", s)
	}
	p := Pattern{Kind: Exact, Scheme: scheme, Port: -1, Raw: s}
	host := rest
	if strings.HasSuffix(rest, ":*") {
		p.Port = AnyPort
		host = rest[:len(rest)-2]
	} else if k := strings.LastIndexByte(rest, ':'); k >= 0 && !strings.HasSuffix(rest, "]") {
		port, ok := parsePort(rest[k+1:])
		if !ok {
			return Pattern{}, fmt.Errorf("invalid port %q: use 1-65535 without leading zeros, or * for any port", rest[k+1:])
		}
		if port == DefaultPort(scheme) {
			return Pattern{}, withFix(fmt.Sprintf("port %d is the default for %s and browsers leave it out", port, scheme), s)
		}
		p.Port = port
		host = rest[:k]
	}
	if strings.HasPrefix(host, "*.") {
		p.Kind = Subdomains
		host = host[2:]
	}
	if strings.Contains(host, "*") {
		return Pattern{}, errors.New(`a wildcard may only be a whole leading label ("https://*.example.com") or the port (":*")`)
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return Pattern{}, fmt.Errorf("invalid IPv6 address %q", host)
		}
		if "["+a.String()+"]" != host {
			return Pattern{}, withFix("browsers send IPv6 addresses in their shortest form", s)
		}
	}
	if !validHost(host) {
		return Pattern{}, fmt.Errorf("invalid host %q", host)
	}
	if p.Kind == Subdomains && (host[0] == '[' || isIPv4(host)) {
		return Pattern{}, fmt.Errorf("an IP address has no subdomains; list each address, e.g. %q", scheme+"://"+host)
	}
	p.Host = host
	return p, nil
}

// withFix is the error problem about s, with the pattern to write instead
// when there is one: s with everything mended that browsers serialize
// otherwise (case, path, userinfo, default port, IPv6 form), so that the
// suggestion is itself valid however many of those s gets wrong.
func withFix(problem, s string) error {
	if fixed := serialized(s); fixed != s {
		if _, err := ParsePattern(fixed); err == nil {
			return fmt.Errorf("%s; write %q", problem, fixed)
		}
	}
	return errors.New(problem)
}

// serialized rewrites s the way browsers serialize an origin, as far as
// that is mechanical. It is idempotent, which keeps withFix from
// recursing.
func serialized(s string) string {
	s = strings.ToLower(s)
	i := strings.Index(s, "://")
	if i <= 0 {
		return s
	}
	scheme, rest := s[:i], s[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	host, port := rest, ""
	if k := strings.LastIndexByte(rest, ':'); k >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:k], rest[k:]
		if p, ok := parsePort(port[1:]); ok && p == DefaultPort(scheme) {
			port = ""
		}
	}
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		if a, err := netip.ParseAddr(host[1 : len(host)-1]); err == nil && a.Is6() && a.Zone() == "" {
			host = "[" + a.String() + "]"
		}
	}
	return scheme + "://" + host + port
}

// nonASCII explains that origins carry internationalised host names in
// their punycode form.
func nonASCII() error {
	return errors.New("browsers send internationalised host names in their ASCII (punycode, xn--...) form; write that form")
}

// Matches reports whether the pattern allows the origin. It is the reference
// semantics; Set gives the same answers faster.
func (p Pattern) Matches(o Origin) bool {
	switch p.Kind {
	case Any:
		return true
	case Null:
		return false
	}
	if o.Scheme != p.Scheme || (p.Port != AnyPort && p.Port != o.Port) {
		return false
	}
	if p.Kind == Exact {
		return o.Host == p.Host
	}
	return len(o.Host) > len(p.Host)+1 &&
		strings.HasSuffix(o.Host, p.Host) &&
		o.Host[len(o.Host)-len(p.Host)-1] == '.'
}

// String returns the pattern in canonical form.
func (p Pattern) String() string {
	switch p.Kind {
	case Any:
		return "*"
	case Null:
		return "null"
	}
	var b strings.Builder
	b.WriteString(p.Scheme)
	b.WriteString("://")
	if p.Kind == Subdomains {
		b.WriteString("*.")
	}
	b.WriteString(p.Host)
	switch {
	case p.Port == AnyPort:
		b.WriteString(":*")
	case p.Port >= 0:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Port))
	}
	return b.String()
}

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
	if lower := strings.ToLower(s); lower != s {
		return Pattern{}, fmt.Errorf("browsers send origins in lower case; write %q", lower)
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
		return Pattern{}, fmt.Errorf("an origin has no path, query or trailing slash; write %q", s[:i+3+j])
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return Pattern{}, fmt.Errorf("an origin has no userinfo (user:password@) and browsers never send one; write %q", scheme+"://"+rest[at+1:])
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
			return Pattern{}, fmt.Errorf("port %d is the default for %s and browsers leave it out; write %q", port, scheme, scheme+"://"+rest[:k])
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
	if !validHost(host) {
		return Pattern{}, fmt.Errorf("invalid host %q", host)
	}
	if p.Kind == Subdomains && (host[0] == '[' || isIPv4(host)) {
		return Pattern{}, fmt.Errorf("an IP address has no subdomains; list each address, e.g. %q", scheme+"://"+host)
	}
	if host[0] == '[' {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return Pattern{}, fmt.Errorf("invalid IPv6 address %q", host)
		}
		if canon := "[" + a.String() + "]"; canon != host {
			return Pattern{}, fmt.Errorf("browsers send IPv6 addresses in their shortest form; write %q", strings.Replace(s, host, canon, 1))
		}
	}
	p.Host = host
	return p, nil
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

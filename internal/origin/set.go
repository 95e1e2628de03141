package origin

import "strings"

// Set matches an origin against many patterns at a cost that depends on the
// length of the origin, not on the number of patterns: exact origins are one
// map lookup (a few comparisons when there are only a handful), any-port
// origins another, and subdomain patterns one lookup per dot in the host (a
// suffix comparison each when there are only a handful). Suffixes are only ever tried at label boundaries, so
// patterns that share a suffix ("foo.com", "bar.com") cannot combine into a
// match for "barfoo.com". A Set is immutable once built and safe for
// concurrent use.
type Set struct {
	exact map[string]struct{}
	// fewExact holds the exact origins when there are only a handful:
	// comparing them, most often by length alone, is cheaper than hashing
	// the origin for a map lookup.
	fewExact []string
	// anyPort is keyed by "scheme://host".
	anyPort map[string]struct{}
	// subdomains is keyed by the host suffix after "*.".
	subdomains map[string][]portRule
	// few holds the subdomain patterns when there are only a handful:
	// comparing suffixes directly is then cheaper than a lookup per label.
	few  []subdomainRule
	any  bool
	null bool
}

type portRule struct {
	scheme string
	port   int
}

type subdomainRule struct {
	suffix string // "." + host
	portRule
}

// fewSubdomains is the most subdomain patterns matched by comparing
// suffixes one by one.
const fewSubdomains = 8

// fewExact is the most exact origins matched by comparing them one by one.
const fewExact = 4

// NewSet builds a Set from parsed patterns.
func NewSet(patterns []Pattern) *Set {
	s := &Set{
		exact:      make(map[string]struct{}),
		anyPort:    make(map[string]struct{}),
		subdomains: make(map[string][]portRule),
	}
	for _, p := range patterns {
		switch {
		case p.Kind == Any:
			s.any = true
		case p.Kind == Null:
			s.null = true
		case p.Kind == Exact && p.Port == AnyPort:
			s.anyPort[p.Scheme+"://"+p.Host] = struct{}{}
		case p.Kind == Exact:
			k := p.String()
			if _, dup := s.exact[k]; !dup {
				s.exact[k] = struct{}{}
				s.fewExact = append(s.fewExact, k)
			}
		default:
			s.subdomains[p.Host] = append(s.subdomains[p.Host], portRule{p.Scheme, p.Port})
			s.few = append(s.few, subdomainRule{"." + p.Host, portRule{p.Scheme, p.Port}})
		}
	}
	if len(s.few) > fewSubdomains {
		s.few = nil
	}
	if len(s.fewExact) > fewExact {
		s.fewExact = nil
	}
	return s
}

// Any reports whether the set contains "*".
func (s *Set) Any() bool { return s.any }

// Match reports whether the raw Origin header value v is allowed. Unless the
// set holds "*" (which allows any value, since the answer is then a static
// "*"), v must be byte for byte a canonical origin or "null"; anything else
// is refused. Match never allocates.
func (s *Set) Match(v string) bool {
	if s.any {
		return true
	}
	if v == "null" {
		return s.null
	}
	if s.fewExact != nil {
		for _, e := range s.fewExact {
			if v == e {
				return true
			}
		}
	} else if _, ok := s.exact[v]; ok {
		return true
	}
	if len(s.anyPort) == 0 && len(s.subdomains) == 0 {
		return false
	}
	if len(s.anyPort) == 0 && s.few != nil {
		return s.matchFew(v)
	}
	o, ok := Parse(v)
	if !ok {
		return false
	}
	if len(s.anyPort) > 0 {
		// v without its port is "scheme://host".
		end := len(o.Scheme) + 3 + len(o.Host)
		if _, ok := s.anyPort[v[:end]]; ok {
			return true
		}
	}
	if len(s.subdomains) == 0 || o.Host[0] == '[' {
		return false
	}
	if s.few != nil {
		for _, r := range s.few {
			if r.scheme == o.Scheme && (r.port == AnyPort || r.port == o.Port) &&
				len(o.Host) > len(r.suffix) && strings.HasSuffix(o.Host, r.suffix) {
				return true
			}
		}
		return false
	}
	h := o.Host
	for {
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
		for _, r := range s.subdomains[h] {
			if r.scheme == o.Scheme && (r.port == AnyPort || r.port == o.Port) {
				return true
			}
		}
	}
}

// matchFew matches v against a handful of subdomain patterns without
// parsing it whole: the suffix was checked when the pattern was built, so
// only the scheme, the port and the labels in front of the suffix remain to
// check. It accepts exactly what Parse followed by the suffix comparison
// accepts.
func (s *Set) matchFew(v string) bool {
	if len(v) > MaxLength {
		return false
	}
	for _, r := range s.few {
		if len(v) < len(r.scheme)+3 || v[:len(r.scheme)] != r.scheme || v[len(r.scheme):len(r.scheme)+3] != "://" {
			continue
		}
		host, port, ok := CutPort(v[len(r.scheme)+3:])
		if !ok || (r.port != AnyPort && r.port != port) || (port >= 0 && port == DefaultPort(r.scheme)) {
			continue
		}
		if len(host) > len(r.suffix) && strings.HasSuffix(host, r.suffix) && validLabels(host[:len(host)-len(r.suffix)]) && len(host) <= 253 {
			return true
		}
	}
	return false
}

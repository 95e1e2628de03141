// Package headerlist checks the Access-Control-Request-Headers of a preflight
// against a set of allowed header names.
//
// Browsers send that header as lower-case names, sorted, without spaces and
// joined by commas. People (curl, tests, some proxies that split or rejoin
// header lines) send names in any case and order, with spaces around commas
// and across several header lines. Check accepts both. It reads each byte
// at most once, stops at the first name that is not allowed, refuses values
// beyond fixed bounds before reading them, and never allocates, so that a
// hostile value costs no more than an ordinary one.
package headerlist

import "github.com/crossgate/crossgate/internal/fetch"

// Bounds on what Check reads. A browser lists only the non-safelisted
// headers a script set, a handful in practice; these bounds leave room for
// far more than any real request while keeping the worst case small.
const (
	MaxBytes       = 4096 // all lines together
	MaxLines       = 16
	MaxNames       = 64
	MaxEmpty       = 16 // empty elements such as ",," that HTTP list syntax tolerates
	MaxNameLength  = 128
	authorization  = "authorization"
	maxNameBufSize = MaxNameLength
)

// Result is the outcome of Check.
type Result uint8

const (
	// OK means every listed name is allowed (or nothing is listed).
	OK Result = iota
	// NotAllowed means a well-formed name is not in the allowed set.
	NotAllowed
	// Malformed means the value is not a list of header names.
	Malformed
	// TooLarge means the value exceeds one of the bounds.
	TooLarge
)

// Set is an immutable set of allowed request-header names.
type Set struct {
	names map[string]struct{} // lower case
	// few holds the names when there are only a handful: comparing a name
	// with each, most often by length alone, costs less than lower-casing
	// and hashing it for a map lookup.
	few []string
	// any is "*": every name but Authorization, which must be listed.
	any bool
	// longest is the length of the longest name in names.
	longest int
}

// NewSet builds a Set from lower-case names; "*" allows every name except
// "authorization", which is only allowed when listed itself.
func NewSet(lowerNames []string) *Set {
	s := &Set{names: make(map[string]struct{}, len(lowerNames))}
	for _, n := range lowerNames {
		if n == "*" {
			s.any = true
			continue
		}
		if _, dup := s.names[n]; !dup {
			s.names[n] = struct{}{}
			s.few = append(s.few, n)
		}
		s.longest = max(s.longest, len(n))
	}
	if len(s.few) > fewNames {
		s.few = nil
	}
	return s
}

// fewNames is the most names compared one by one.
const fewNames = 8

// Check checks every name in lines, the values of the header lines of
// Access-Control-Request-Headers, against the set. On NotAllowed, name is
// the first name refused, as sent.
func (s *Set) Check(lines []string) (r Result, name string) {
	if len(lines) > MaxLines {
		return TooLarge, ""
	}
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	if total > MaxBytes {
		return TooLarge, ""
	}
	names, empty := 0, 0
	for _, l := range lines {
		i := 0
		for {
			// One element: OWS name OWS, then ',' or the end of the line.
			for i < len(l) && isOWS(l[i]) {
				i++
			}
			start := i
			for i < len(l) && fetch.IsTchar(l[i]) {
				i++
			}
			end := i
			for i < len(l) && isOWS(l[i]) {
				i++
			}
			if i < len(l) && l[i] != ',' {
				return Malformed, ""
			}
			if start == end {
				empty++
				if empty > MaxEmpty {
					return TooLarge, ""
				}
			} else {
				names++
				if names > MaxNames {
					return TooLarge, ""
				}
				if !s.allows(l[start:end]) {
					return NotAllowed, l[start:end]
				}
			}
			if i >= len(l) {
				break
			}
			i++ // the comma
		}
	}
	return OK, ""
}

// allows reports whether the name (any case) is allowed.
func (s *Set) allows(n string) bool {
	if len(n) > MaxNameLength {
		return false
	}
	if s.any {
		return len(n) != len(authorization) || !equalFold(n, authorization) || s.has(authorization)
	}
	if len(n) > s.longest {
		return false
	}
	if len(s.names) <= fewNames {
		for _, a := range s.few {
			if equalFold(n, a) {
				return true
			}
		}
		return false
	}
	if isLower(n) {
		return s.has(n)
	}
	var buf [maxNameBufSize]byte
	for i := 0; i < len(n); i++ {
		c := n[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := s.names[string(buf[:len(n)])]
	return ok
}

func (s *Set) has(lower string) bool {
	_, ok := s.names[lower]
	return ok
}

func isLower(n string) bool {
	for i := 0; i < len(n); i++ {
		if 'A' <= n[i] && n[i] <= 'Z' {
			return false
		}
	}
	return true
}

// equalFold compares an ASCII name with a lower-case one.
func equalFold(n, lower string) bool {
	if len(n) != len(lower) {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

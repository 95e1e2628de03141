package browser

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/internal/fetch"
)

// Limits of the CORS-safelisted request-header rules.
const (
	// maxSafelistedValue is the longest value a safelisted header may have.
	maxSafelistedValue = 128
	// maxSafelistedTotal is the most bytes all safelisted values may sum
	// to; beyond it every one of them needs the preflight's approval.
	maxSafelistedTotal = 1024
)

// NeedsPreflight reports whether a browser sends a preflight before req:
// req is cross-origin and its method is not GET, HEAD or POST, or it
// carries a header that is not CORS-safelisted. requestHeaders is the
// preflight's Access-Control-Request-Headers value: the unsafe header
// names, lower-cased, de-duplicated, sorted and joined with "," (no
// space), or "" when there are none. The error is the one NewRequest
// returns for a request no script can make.
func NeedsPreflight(req *Request) (needed bool, requestHeaders string, err error) {
	if err := req.validate(); err != nil {
		return false, "", err
	}
	if !req.CrossOrigin() {
		return false, "", nil
	}
	names := UnsafeHeaderNames(req.Header)
	return !isSafelistedMethod(req.Method) || len(names) > 0, strings.Join(names, ","), nil
}

// isSafelistedMethod reports the CORS-safelisted methods, byte-exact.
func isSafelistedMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPost
}

// UnsafeHeaderNames returns the Fetch standard's "CORS-unsafe request-header
// names" of h: the names of headers that are not CORS-safelisted, and all
// safelisted ones too when their values sum to more than 1,024 bytes;
// lower-cased, de-duplicated and sorted. The values of one name are judged
// joined with ", ", as they go on the wire: Chrome judges the request's
// headers after joining them, so two Accept values of 100 bytes each make
// one unsafe value of 202 bytes, although the Fetch standard judges each
// Headers.append on its own.
func UnsafeHeaderNames(h http.Header) []string {
	joined := make(map[string][]string, len(h))
	for _, name := range slices.Sorted(maps.Keys(h)) {
		lower := strings.ToLower(name)
		joined[lower] = append(joined[lower], h[name]...)
	}
	var unsafe, safe []string
	total := 0
	for name, values := range joined {
		value := strings.Join(values, ", ")
		if IsSafelistedHeader(name, value) {
			safe = append(safe, name)
			total += len(value)
			continue
		}
		unsafe = append(unsafe, name)
	}
	if total > maxSafelistedTotal {
		unsafe = append(unsafe, safe...)
	}
	slices.Sort(unsafe)
	return slices.Compact(unsafe)
}

// IsSafelistedHeader reports whether name: value is a CORS-safelisted
// request-header: Accept, Accept-Language, Content-Language, Content-Type
// or Range with a value of at most 128 bytes that follows the header's
// rule. It does not apply the 1,024-byte total; UnsafeHeaderNames does.
func IsSafelistedHeader(name, value string) bool {
	if len(value) > maxSafelistedValue {
		return false
	}
	switch strings.ToLower(name) {
	case "accept":
		return !strings.ContainsFunc(value, isUnsafeByteRune)
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			if !isLanguageByte(value[i]) {
				return false
			}
		}
		return true
	case "content-type":
		if strings.ContainsFunc(value, isUnsafeByteRune) {
			return false
		}
		essence, ok := ParseMIMEType(value)
		if !ok {
			return false
		}
		switch essence {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
		return false
	case "range":
		return isSafelistedRange(value)
	}
	return false
}

// isUnsafeByteRune reports a CORS-unsafe request-header byte. Values are
// byte strings; a rune of a multi-byte sequence is never unsafe.
func isUnsafeByteRune(r rune) bool {
	if r < 0x20 {
		return r != '\t'
	}
	return r == 0x7f || strings.ContainsRune(`"():<>?@[\]{}`, r)
}

func isLanguageByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte(" *,-.;=", c) >= 0
}

// ParseMIMEType runs the WHATWG MIME Sniffing standard's "parse a MIME
// type" on s and returns the essence (type "/" subtype, lower-cased).
// Unlike the lenient "extract a MIME type", it fails on anything that is
// not one MIME type: "text /plain", "text/plain,x/x", ",text/plain". Bad
// parameters are skipped, as the standard skips them, so they never make
// it fail.
func ParseMIMEType(s string) (essence string, ok bool) {
	s = strings.Trim(s, " \t\r\n")
	typ, rest, found := strings.Cut(s, "/")
	if !found || !fetch.IsToken(typ) {
		return "", false
	}
	subtype, _, _ := strings.Cut(rest, ";")
	subtype = strings.TrimRight(subtype, " \t\r\n")
	if !fetch.IsToken(subtype) {
		return "", false
	}
	return strings.ToLower(typ) + "/" + strings.ToLower(subtype), true
}

// isSafelistedRange implements the Range rule: "parse a single range header
// value" without whitespace must succeed and give a start, so "bytes=N-"
// and "bytes=N-M" with N <= M pass and "bytes=-N" does not.
func isSafelistedRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	start, end, ok := strings.Cut(rest, "-")
	if !ok || start == "" || !allDigits(start) || !allDigits(end) {
		return false
	}
	return end == "" || compareDecimal(start, end) <= 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareDecimal compares two digit strings of any length by value.
func compareDecimal(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

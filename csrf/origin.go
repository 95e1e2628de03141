package csrf

import (
	"net/http"
	"strings"
)

// maxOriginLength bounds the Origin values that are parsed at all. A host
// name is at most 253 bytes; the scheme, "://" and the port fit in the rest.
const maxOriginLength = 320

// origin is a parsed serialized origin. port is -1 when the origin has none,
// which means the scheme's default.
type origin struct {
	scheme string
	host   string
	port   int
}

// parseOrigin parses s strictly, as the canonical serialization browsers
// send: a lower-case scheme, "://", a lower-case host (brackets around an
// IPv6 literal) and a port only when it is not the scheme's default. It
// refuses everything else, userinfo above all: "http://evil.test@api.test"
// is not an origin, whatever a URL parser makes of it. It never allocates.
func parseOrigin(s string) (origin, bool) {
	if len(s) > maxOriginLength {
		return origin{}, false
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !validScheme(scheme) {
		return origin{}, false
	}
	host, port, ok := splitHostPort(rest)
	if !ok || !validHost(host) {
		return origin{}, false
	}
	if port >= 0 && port == defaultPort(scheme) {
		return origin{}, false
	}
	return origin{scheme: scheme, host: host, port: port}, true
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// validHost accepts a lower-case registered name or IPv4 address (letters,
// digits, '-', '_', non-empty dot-separated labels) or a bracketed IPv6
// literal. Every byte that could start userinfo, a path, a query or a
// fragment is refused here.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	if h[0] == '[' {
		if len(h) < 4 || h[len(h)-1] != ']' {
			return false
		}
		for i := 1; i < len(h)-1; i++ {
			c := h[i]
			if !(c == ':' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
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
		label++
	}
	return label > 0
}

// splitHostPort splits "host[:port]", where host may be a bracketed IPv6
// literal. The port is decimal, 1 to 65535, without leading zeros; -1 means
// there is none.
func splitHostPort(s string) (host string, port int, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.LastIndexByte(s, ']') > i {
		return s, -1, true
	}
	digits := s[i+1:]
	if digits == "" || len(digits) > 5 || digits[0] == '0' {
		return "", 0, false
	}
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return "", 0, false
		}
		port = port*10 + int(c-'0')
	}
	if port > 65535 {
		return "", 0, false
	}
	return s[:i], port, true
}

func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	}
	return -1
}

// requestScheme is the scheme the client used: "https" when the connection
// is TLS, or when trustProto is set and X-Forwarded-Proto says so.
func requestScheme(r *http.Request, trustProto bool) string {
	if trustProto {
		if v := r.Header["X-Forwarded-Proto"]; len(v) > 0 {
			first, _, _ := strings.Cut(v[0], ",")
			first = strings.TrimSpace(first)
			switch {
			case strings.EqualFold(first, "https"):
				return "https"
			case strings.EqualFold(first, "http"):
				return "http"
			}
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// sameOrigin reports whether o is the origin of the request itself: the
// scheme the client used, and the host and port of the Host header (host
// names compared without regard to case, absent ports read as the scheme's
// default).
func sameOrigin(o origin, scheme, hostHeader string) bool {
	if o.scheme != scheme {
		return false
	}
	host, port, ok := splitHostPort(hostHeader)
	if !ok || !strings.EqualFold(host, o.host) {
		return false
	}
	if port < 0 {
		port = defaultPort(scheme)
	}
	oport := o.port
	if oport < 0 {
		oport = defaultPort(o.scheme)
	}
	return port == oport
}

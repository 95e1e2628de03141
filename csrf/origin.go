package csrf

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/origin"
)

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
func sameOrigin(o origin.Origin, scheme, hostHeader string) bool {
	if o.Scheme != scheme {
		return false
	}
	host, port, ok := splitHostPort(hostHeader)
	if !ok || !strings.EqualFold(host, o.Host) {
		return false
	}
	if port < 0 {
		port = origin.DefaultPort(scheme)
	}
	oport := o.Port
	if oport < 0 {
		oport = origin.DefaultPort(o.Scheme)
	}
	return port == oport
}

// splitHostPort splits a Host header, "host[:port]" where host may be a
// bracketed IPv6 literal. The port is decimal, 1 to 65535, without leading
// zeros; -1 means there is none.
func splitHostPort(s string) (host string, port int, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.LastIndexByte(s, ']') > i {
		return s, -1, true
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil || p < 1 || p > 65535 || s[i+1] == '0' || s[i+1] == '+' {
		return "", 0, false
	}
	return s[:i], p, true
}

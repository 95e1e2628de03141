package csrf

import (
	"net/http"
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
	host, port, ok := origin.CutPort(hostHeader)
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

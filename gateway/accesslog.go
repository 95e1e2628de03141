package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// statusRecorder remembers the status written through it, for the access
// log and metrics. Unwrap lets http.ResponseController reach the underlying
// writer, so flushing and WebSocket hijacking keep working.
type statusRecorder struct {
	http.ResponseWriter
	code       int
	csrfReason string // why CSRF protection refused the request, if it did
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// accessLog writes one structured line per request with the CORS decision
// and its reason.
func (g *Gateway) accessLog(r *http.Request, routeID string, rec *statusRecorder, dur time.Duration, rt *route, d *cors.Decision) {
	if !g.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	corsResult := "off"
	if rt != nil && rt.policy != nil {
		corsResult = "refused"
		if d.Allowed {
			corsResult = "allowed"
		}
	}
	g.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("route", routeID),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status()),
		slog.Duration("duration", dur),
		slog.String("origin", r.Header.Get("Origin")),
		slog.String("cors_kind", d.Kind.String()),
		slog.String("cors", corsResult),
		slog.String("cors_reason", d.Reason.String()),
		slog.String("csrf", rec.csrfReason),
		slog.String("remote", r.RemoteAddr),
	)
}

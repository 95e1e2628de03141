package gateway

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
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

// LogWriter batches log lines on their way to w: one write per request
// costs a system call, about a tenth of a preflight's time. Lines reach w at
// least every FlushInterval, when 64 KiB have gathered, and on Close.
type LogWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// FlushInterval bounds how long a log line waits in a LogWriter.
const FlushInterval = 200 * time.Millisecond

// NewLogWriter starts a LogWriter in front of w. Close it to flush.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushEvery(FlushInterval)
	return l
}

func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LogWriter) flushEvery(d time.Duration) {
	defer close(l.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.Flush()
		case <-l.stop:
			return
		}
	}
}

// Flush writes out what is buffered.
func (l *LogWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

// Close stops the timer and flushes.
func (l *LogWriter) Close() error {
	close(l.stop)
	<-l.done
	return l.Flush()
}

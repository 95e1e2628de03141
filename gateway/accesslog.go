package gateway

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

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

// accessLog writes one JSON line per request with the CORS decision and its
// reason, in the shape of a log/slog JSON record (time, level, msg, then
// the fields). It is encoded by hand into a pooled buffer: through slog it
// cost about two thirds of the CPU of a preflight answered at the edge.
func (g *Gateway) accessLog(r *http.Request, routeID string, rec *statusRecorder, start time.Time, rt *route, d *cors.Decision) {
	if g.access == nil {
		return
	}
	end := time.Now()
	// A request without a route, or on a route with CORS off, has no
	// decision: its kind and reason are empty, not the zero Decision's.
	result, kind, reason := "off", "", ""
	if rt != nil && rt.policy != nil {
		result, kind, reason = corsResult(d), d.Kind.String(), d.Reason.String()
	}
	bp := g.lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = end.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request"`...)
	b = appendField(b, "route", routeID)
	b = appendField(b, "method", r.Method)
	b = appendField(b, "host", r.Host)
	b = appendField(b, "path", r.URL.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(rec.status()), 10)
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(end.Sub(start)), 10)
	b = appendField(b, "origin", r.Header.Get("Origin"))
	b = appendField(b, "cors_kind", kind)
	b = appendField(b, "cors", result)
	b = appendField(b, "cors_reason", reason)
	b = appendField(b, "csrf", rec.csrfReason)
	b = appendField(b, "remote", r.RemoteAddr)
	b = append(b, "}\n"...)
	_, _ = g.access.Write(b)
	*bp = b
	g.lineBufs.Put(bp)
}

// appendField appends ,"key":"value" with value escaped as a JSON string;
// invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '"')
	for i := 0; i < len(value); {
		// Copy the run of bytes that need no escaping in one append.
		j := i
		for j < len(value) && value[j] >= 0x20 && value[j] != '"' && value[j] != '\\' && value[j] < utf8.RuneSelf {
			j++
		}
		b = append(b, value[i:j]...)
		if i = j; i == len(value) {
			break
		}
		c := value[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(value[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, value[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const hex = "0123456789abcdef"

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

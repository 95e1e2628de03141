package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/h1"
)

// TestClientGoneStopsUpstream checks that a client that goes away while
// its request waits on the upstream stops the upstream exchange, on both
// the gateway's own HTTP/1.1 server and net/http's: the upstream sees its
// request end, and the gateway logs 499 instead of an upstream error.
func TestClientGoneStopsUpstream(t *testing.T) {
	for _, server := range []string{"HTTP1Server", "net/http"} {
		t.Run(server, func(t *testing.T) {
			addr, access, events, ended := slowGateway(t, server, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n\r\n")
			// Long enough for the request to reach the upstream, and for
			// HTTP1Server to start watching the connection.
			time.Sleep(500 * time.Millisecond)
			c.Close()
			if err := <-ended; err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(access.String(), `"status":499`) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(access.String(), `"status":499`) {
				t.Errorf("access log: %s\nwant the request logged with status 499", access.String())
			}
			if strings.Contains(events.String(), "upstream error") {
				t.Errorf("a client leaving was logged as an upstream error: %s", events.String())
			}
		})
	}
}

// slowGateway serves on loopback, with server ("HTTP1Server" or
// "net/http"), a gateway in front of an upstream that runs first (if not
// nil) and then waits for its request to end. It returns the gateway's
// address, access log and event log, and a channel that gets nil when the
// upstream's request ends, or an error if it still runs after 10 s.
func slowGateway(t *testing.T, server string, first http.HandlerFunc) (addr string, access, events *syncBuffer, ended chan error) {
	t.Helper()
	ended = make(chan error, 1)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if first != nil {
			first(w, r)
		}
		select {
		case <-r.Context().Done():
			ended <- nil
		case <-time.After(10 * time.Second):
			ended <- errors.New("the upstream's request still ran 10 s after the client left")
		}
	})
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
policies: {web: {allow_origins: [https://app.example.com]}}
upstreams: {u: {targets: [%s]}}
routes: [{id: r, path_prefix: /, upstream: u, cors: web}]
`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	access, events = &syncBuffer{}, &syncBuffer{}
	g, err := gateway.New(cfg, gateway.Options{AccessLog: access, Logger: slog.New(slog.NewJSONHandler(events, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g}
	if server == "net/http" {
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	} else {
		h1s := h1.NewServer(srv, nil)
		go h1s.Serve(ln)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			h1s.Shutdown(ctx)
		})
	}
	return ln.Addr().String(), access, events, ended
}

// TestClientGoneFromStream checks that a client leaving an event stream
// ends the upstream's, is not reported as the upstream failing, and still
// gets its access-log line.
func TestClientGoneFromStream(t *testing.T) {
	for _, server := range []string{"HTTP1Server", "net/http"} {
		t.Run(server, func(t *testing.T) {
			addr, access, events, ended := slowGateway(t, server, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
			})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /events HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			var got []byte
			buf := make([]byte, 4096)
			for !strings.Contains(string(got), "data: first") {
				n, err := c.Read(buf)
				if err != nil {
					t.Fatalf("reading the stream: %v (got %q)", err, got)
				}
				got = append(got, buf[:n]...)
			}
			// Long enough for HTTP1Server to watch the connection.
			time.Sleep(300 * time.Millisecond)
			c.Close()
			if err := <-ended; err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(access.String(), `"path":"/events"`) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(access.String(), `"path":"/events"`) {
				t.Errorf("no access-log line for the stream the client left")
			}
			if strings.Contains(events.String(), "upstream") {
				t.Errorf("a client leaving was logged as an upstream fault: %s", events.String())
			}
		})
	}
}

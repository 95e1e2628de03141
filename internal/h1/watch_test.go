package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestH1ServerCancelsWhenClientGoes checks that a request still running
// when its client closes the connection sees its context cancelled, as
// with net/http's server, here with errClientGone as the cause.
func TestH1ServerCancelsWhenClientGoes(t *testing.T) {
	causes := make(chan error, 1)
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		causes <- awaitCancel(r)
	}), true)
	sendAndLeave(t, addr, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", 3*watchAfter)
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("the handler's context ended with %v, want %v", err, errClientGone)
	}

	// A request with a body is watched once its body is read.
	addr = startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		causes <- awaitCancel(r)
	}), true)
	sendAndLeave(t, addr, "PUT /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 3*watchAfter)
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("with a body read: the handler's context ended with %v, want %v", err, errClientGone)
	}
}

// TestH1ServerWatchKeepsNextRequest checks that the bytes a watching read
// takes off the connection are not lost: a request sent while the one
// before is still running (pipelined), and one sent after a slow answer,
// are both served, and nothing is cancelled.
func TestH1ServerWatchKeepsNextRequest(t *testing.T) {
	s, addr := startWatched(t, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
				http.Error(w, "cancelled", http.StatusInternalServerError)
				return
			case <-time.After(4 * watchAfter):
			}
		}
		io.WriteString(w, "answer to "+r.Method+" "+r.URL.Path)
	}))
	c, read := converseWith(t, addr)
	// Pipelined: the second request arrives while the first is watched.
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	waitWatching(t, s)
	io.WriteString(c, "GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
	read("answer to GET /slow")
	read("answer to GET /second")
	// One after the other, the next sent once the slow answer is read,
	// while the background read may still wait.
	for i := range 3 {
		io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
		read("answer to GET /slow")
		fmt.Fprintf(c, "GET /next%d HTTP/1.1\r\nHost: a\r\n\r\n", i)
		read(fmt.Sprintf("answer to GET /next%d", i))
	}
}

// TestH1ServerWatchOutlivesIdleTimeout checks that a request running past
// the idle timeout its head was read under is still watched: the client
// leaving after that still cancels it.
func TestH1ServerWatchOutlivesIdleTimeout(t *testing.T) {
	causes := make(chan error, 1)
	idle := 2 * watchAfter
	_, addr := startWatched(t, idle, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		causes <- awaitCancel(r)
	}))
	sendAndLeave(t, addr, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", 2*idle)
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("the handler's context ended with %v, want %v", err, errClientGone)
	}
}

// TestH1ServerBodyReadAfterHandler checks that a body still being read
// when the handler returns (as http.Transport does with a request body it
// sends upstream from a goroutine of its own, after an early answer) does
// not race with the server finishing the request (go test -race), and that
// the next request is intact. The late reader gets the rest of the body or,
// once the server has finished it, http.ErrBodyReadAfterClose, as with
// net/http.
func TestH1ServerBodyReadAfterHandler(t *testing.T) {
	readErr := make(chan error, 1)
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			started := make(chan struct{})
			go func() {
				var b [10]byte
				_, err := io.ReadFull(r.Body, b[:])
				close(started)
				if err == nil {
					_, err = io.Copy(io.Discard, r.Body)
				}
				readErr <- err
			}()
			<-started
		}
		io.WriteString(w, "answer to "+r.Method+" "+r.URL.Path)
	}), true)
	c, read := converseWith(t, addr)
	body := strings.Repeat("x", 1000)
	io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"+body[:10])
	read("answer to POST /upload")
	time.Sleep(50 * time.Millisecond)
	io.WriteString(c, body[10:]+"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	read("answer to GET /next") // the request after the body, intact
	if err := <-readErr; err != nil && !errors.Is(err, http.ErrBodyReadAfterClose) {
		t.Errorf("reading the body after the handler returned: %v, want the rest or %v", err, http.ErrBodyReadAfterClose)
	}
}

// startWatched serves h with an Server of the given idle timeout on
// loopback, and returns the server, to look at its connections, and its
// address.
func startWatched(t *testing.T, idle time.Duration, h http.Handler) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(&http.Server{IdleTimeout: idle, Handler: h}, nil)
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, ln.Addr().String()
}

// waitWatching waits until a background read runs on one of s's
// connections.
func waitWatching(t *testing.T, s *Server) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		for c := range s.conns {
			if c.watch.Load() == watchRunning {
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
	}
	t.Fatal("no connection watched within 5 s")
}

// TestH1ServerWatchDuringShutdown checks that requests still running when
// Shutdown begins are watched: a client leaving then cancels its request,
// and Shutdown need not wait for it to run its course.
func TestH1ServerWatchDuringShutdown(t *testing.T) {
	s, c, causes := slowRequest(t)
	time.Sleep(watchAfter / 5) // the request runs, not yet watched
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctx) }()
	time.Sleep(watchAfter / 5)
	c.Close()
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("the handler's context ended with %v, want %v", err, errClientGone)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v, want nil once the request ended", err)
	}
}

// TestH1ServerForcedShutdownCause checks that a Shutdown whose time runs out
// cancels the requests still running with its own cause, not as if their
// clients had left.
func TestH1ServerForcedShutdownCause(t *testing.T) {
	s, c, causes := slowRequest(t)
	defer c.Close()
	waitWatching(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want %v", err, context.DeadlineExceeded)
	}
	if err := <-causes; !errors.Is(err, errShutdown) {
		t.Errorf("the handler's context ended with %v, want %v", err, errShutdown)
	}
}

// awaitCancel waits for r's context to end, for up to 10 s, and returns its
// cause.
func awaitCancel(r *http.Request) error {
	select {
	case <-r.Context().Done():
		return context.Cause(r.Context())
	case <-time.After(10 * time.Second):
		return errors.New("not cancelled within 10 s")
	}
}

// sendAndLeave sends raw to addr and closes the connection after d.
func sendAndLeave(t *testing.T, addr, raw string, d time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, raw)
	time.Sleep(d)
	c.Close()
}

// slowRequest starts a server whose handler waits for its request to be
// cancelled and sends it a request; it returns the server, the client's
// connection, and where the handler reports its context's cause.
func slowRequest(t *testing.T) (*Server, net.Conn, chan error) {
	t.Helper()
	causes := make(chan error, 1)
	s, addr := startWatched(t, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		causes <- awaitCancel(r)
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	return s, c, causes
}

// converseWith dials addr for a conversation of at most 10 s, closed when
// the test ends, and returns the connection and a function that reads the
// next answer and fails the test unless it is 200 with body want.
func converseWith(t *testing.T, addr string) (net.Conn, func(want string)) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	return c, func(want string) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := string(b); resp.StatusCode != 200 || got != want {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, got, want)
		}
	}
}

package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveLimited serves a handler that answers "ok" with srv's settings on
// loopback and returns the address.
func serveLimited(t *testing.T, srv *http.Server, maxConns int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	s := NewServer(srv, nil)
	s.MaxConns = maxConns
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// closedAfter dials addr, sends the parts, each after its pause, and
// returns how long after the dial the server closed the connection.
func closedAfter(t *testing.T, addr string, parts ...upstreamWrite) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	go func() {
		for _, p := range parts {
			time.Sleep(p.after)
			if _, err := io.WriteString(c, p.data); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("waiting for the server to close: %v", err)
	}
	return time.Since(start)
}

// TestSilentConnectionClosedAtReadHeaderTimeout checks that a connection
// that sends nothing is closed at the read-header timeout, not held for
// the idle timeout.
func TestSilentConnectionClosedAtReadHeaderTimeout(t *testing.T) {
	addr := serveLimited(t, &http.Server{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}, 0)
	if d := closedAfter(t, addr); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("a silent connection was closed after %v, want the read-header timeout (300ms), far from the idle timeout (1m)", d)
	}
}

// TestSlowHeadBoundedOnceAcrossHandOff checks that a head which grows past
// the server's buffer, and so goes to net/http, keeps the deadline it had:
// net/http does not start the read-header timeout again.
func TestSlowHeadBoundedOnceAcrossHandOff(t *testing.T) {
	const timeout = time.Second
	addr := serveLimited(t, &http.Server{ReadHeaderTimeout: timeout, IdleTimeout: time.Minute}, 0)
	parts := []upstreamWrite{
		{0, "GET / HTTP/1.1\r\nHost: a\r\n"},
		// Past the 8 KiB buffer 600 ms in: handed to net/http then.
		{600 * time.Millisecond, "X-Pad: " + strings.Repeat("a", headBufSize+100)},
	}
	for range 40 {
		parts = append(parts, upstreamWrite{50 * time.Millisecond, "a"})
	}
	// With the timeout started again at the hand-off, the close would
	// come at 1.6 s.
	// The server's clock starts at its accept, a moment before the dial
	// returns here.
	if d := closedAfter(t, addr, parts...); d < timeout-100*time.Millisecond || d > timeout+400*time.Millisecond {
		t.Errorf("a slow head was closed after %v, want the read-header timeout (%v) once", d, timeout)
	}
}

// TestHeadOverCapGets431 checks that a request head over MaxHeaderBytes is
// answered with 431, by Server itself within its buffer and by net/http
// past it, and that heads within the cap are served.
func TestHeadOverCapGets431(t *testing.T) {
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-%d: a\r\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name     string
		maxBytes int
		header   string
		want     int
	}{
		{"a 3 KiB head over a 2 KiB cap, within Server's buffer", 2 << 10, "X-Big: " + strings.Repeat("a", 3<<10) + "\r\n", 431},
		{"a 1 MB header value over the 64 KiB cap", 64 << 10, "X-Big: " + strings.Repeat("a", 1<<20) + "\r\n", 431},
		{"100,000 header lines over the 64 KiB cap", 64 << 10, lines(100000), 431},
		{"a 60 KiB head within the 64 KiB cap", 64 << 10, "X-Big: " + strings.Repeat("a", 60<<10) + "\r\n", 200},
		{"a 1 KiB head within a 2 KiB cap", 2 << 10, "X-Big: " + strings.Repeat("a", 1<<10) + "\r\n", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveLimited(t, &http.Server{ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: tt.maxBytes}, 0)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n"+tt.header+"\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestMaxConnsClosesIdleFirst checks that a server at its connection limit
// closes the connection idle longest to take a new one, and refuses a new
// one only when every connection is serving a request.
func TestMaxConnsClosesIdleFirst(t *testing.T) {
	addr := serveLimited(t, &http.Server{ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute}, 2)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	oldest, newer := dial(), dial()
	time.Sleep(50 * time.Millisecond) // both accepted, in that order
	if got := get(dial()); got != "200 ok" {
		t.Fatalf("a third client at a limit of 2 got %q, want 200 ok", got)
	}
	oldest.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := oldest.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("the connection idle longest: %v, want it closed (EOF)", err)
	}
	if got := get(newer); got != "200 ok" {
		t.Errorf("the newer idle connection got %q, want it kept and served", got)
	}
}

// get sends a GET on c and returns "STATUS BODY" or the error.
func get(c net.Conn) string {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		return err.Error()
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// TestSilentConnectionsUnderDescriptorLimit runs a Server in a child
// process limited to 1,024 descriptors (RLIMIT_NOFILE), opens 1,100 silent
// connections to it, and checks that legitimate clients, each on a new
// connection every 20 ms, are still served: the server closes the
// connections that have waited longest for a request to take new ones.
// Before, every request failed for 30 s (accept4: too many open files).
func TestSilentConnectionsUnderDescriptorLimit(t *testing.T) {
	if os.Getenv("H1_NOFILE_CHILD") == "1" {
		nofileChild()
		return
	}
	if testing.Short() {
		t.Skip("opens 1,100 connections for 5 s")
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 4096 {
		t.Skipf("this process may open too few descriptors (%d) for 1,100 clients", rl.Cur)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSilentConnectionsUnderDescriptorLimit$")
	cmd.Env = append(os.Environ(), "H1_NOFILE_CHILD=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the child server did not start: %v", err)
	}
	addr := strings.TrimSpace(line)

	var silent []net.Conn
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1100 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			mu.Lock()
			silent = append(silent, c)
			mu.Unlock()
		}
	}()
	// Legitimate clients for 5 s: more than twice the child's read-header
	// timeout, which alone would free the silent connections at 2 s.
	var failed, served int
	var refusedFrom time.Time
	var longestRefused time.Duration
	var firstErr string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got := "dial failed"
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			got = get(c)
			c.Close()
		}
		if got == "200 ok" {
			served++
			if !refusedFrom.IsZero() {
				longestRefused = max(longestRefused, time.Since(refusedFrom))
				refusedFrom = time.Time{}
			}
			continue
		}
		failed++
		if firstErr == "" {
			firstErr = got
		}
		if refusedFrom.IsZero() {
			refusedFrom = time.Now()
		}
	}
	if !refusedFrom.IsZero() {
		longestRefused = max(longestRefused, time.Since(refusedFrom))
	}
	<-done
	mu.Lock()
	opened := len(silent)
	mu.Unlock()
	t.Logf("%d silent connections opened; legitimate requests: %d served, %d failed (first: %s), longest refused stretch %v",
		opened, served, failed, firstErr, longestRefused)
	if opened < 1000 {
		t.Errorf("only %d silent connections could be opened, want about 1,100", opened)
	}
	if longestRefused > time.Second {
		t.Errorf("legitimate requests were refused for %v in a row, want under 1s", longestRefused)
	}
	if served == 0 {
		t.Error("no legitimate request was served")
	}
}

// nofileChild is the child of TestSilentConnectionsUnderDescriptorLimit: a
// Server with the default connection limit, in a process limited to 1,024
// descriptors, until its standard input closes.
func nofileChild() {
	rl := syscall.Rlimit{Cur: 1024, Max: 1024}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ReadHeaderTimeout: 2 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	go NewServer(srv, nil).Serve(ln)
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

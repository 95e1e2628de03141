package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestH1ServerCancelsWhenClientGoes checks that a request still running
// when its client closes the connection sees its context cancelled, with
// the cause, as net/http's server does.
func TestH1ServerCancelsWhenClientGoes(t *testing.T) {
	causes := make(chan error, 1)
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			causes <- context.Cause(r.Context())
		case <-time.After(10 * time.Second):
			causes <- errors.New("not cancelled within 10 s")
		}
	}), true)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	time.Sleep(3 * watchAfter)
	c.Close()
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("the handler's context ended with %v, want %v", err, errClientGone)
	}
}

// TestH1ServerWatchKeepsNextRequest checks that the bytes a watching read
// takes off the connection are not lost: a request sent while the one
// before is still running (pipelined), and one sent after a slow answer,
// are both served, and nothing is cancelled.
func TestH1ServerWatchKeepsNextRequest(t *testing.T) {
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
				http.Error(w, "cancelled", http.StatusInternalServerError)
				return
			case <-time.After(4 * watchAfter):
			}
		}
		io.WriteString(w, "answer to "+r.Method+" "+r.URL.Path)
	}), true)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	read := func(want string) {
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
	// Pipelined: the second request arrives while the first is watched.
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	time.Sleep(2 * watchAfter)
	io.WriteString(c, "GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
	read("answer to GET /slow")
	read("answer to GET /second")
	// One after the other, the next sent once the slow answer is read.
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	idle := 2 * watchAfter
	s := NewHTTP1Server(&http.Server{IdleTimeout: idle, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			causes <- context.Cause(r.Context())
		case <-time.After(10 * time.Second):
			causes <- errors.New("not cancelled within 10 s")
		}
	})}, nil)
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	time.Sleep(2 * idle)
	c.Close()
	if err := <-causes; !errors.Is(err, errClientGone) {
		t.Errorf("the handler's context ended with %v, want %v", err, errClientGone)
	}
}

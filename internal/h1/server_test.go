package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// servedBy is set by every handler below to the type of its
// ResponseWriter, so that a test can tell which server answered.
var h1Handlers = map[string]http.HandlerFunc{
	"small": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Uri", r.RequestURI)
		w.Header().Set("X-Close", fmt.Sprint(r.Close))
		io.WriteString(w, "hello "+r.URL.Path)
	},
	"html": func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html><html><body>sniffed</body></html>")
	},
	"large": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Repeat("0123456789", 1000))
	},
	"declared": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(201)
		io.WriteString(w, "abcde")
	},
	"overrun": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		_, err := io.WriteString(w, "abcde")
		if errors.Is(err, http.ErrContentLength) {
			io.WriteString(w, "abc")
		}
	},
	"short": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "abc")
	},
	"stream": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
		}
	},
	"trailers": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		w.WriteHeader(200)
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	},
	"nocontent": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
		_, err := io.WriteString(w, "not allowed")
		w.Header().Set("X-Late", fmt.Sprint(err)) // after WriteHeader: not sent
	},
	"notmodified": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(304)
	},
	"empty": func(w http.ResponseWriter, r *http.Request) {},
	"hints": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(103)
		w.Header().Set("X-Final", "1")
		io.WriteString(w, "final")
	},
	"echo": func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %q %v", r.ContentLength, b, err)
	},
	"half": func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 2)
		n, _ := io.ReadFull(r.Body, b)
		fmt.Fprintf(w, "read %q", b[:n])
	},
	"abort": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "partial")
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	},
	"crlf": func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Split"] = []string{"a\r\nSet-Cookie: evil=1"}
		w.Header()["Bad Name"] = []string{"x"}
		w.WriteHeader(200)
	},
	"connclose": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	},
}

// startH1 serves h on loopback with Server (net/http behind it) or with
// net/http alone, and returns the address.
func startH1(t testing.TB, h http.Handler, withH1 bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 2 * time.Second, IdleTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	if !withH1 {
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	s := NewServer(srv, slog.New(slog.DiscardHandler))
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// exchange is what a client can observe of a raw conversation: each
// response (status, headers but Date and framing, body, trailers) and
// whether the server closed the connection after the last one.
type exchange struct {
	responses []string
	closed    bool
}

func converse(t *testing.T, addr, raw string, want int) exchange {
	t.Helper()
	ex, err := talk(addr, raw, want)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// talk sends raw on a new connection and reads want responses.
func talk(addr, raw string, want int) (exchange, error) {
	var ex exchange
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return ex, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return ex, err
	}
	br := bufio.NewReader(c)
	method := strings.Fields(raw)[0]
	for range want {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			ex.responses = append(ex.responses, "error: "+err.Error())
			break
		}
		body, berr := io.ReadAll(resp.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "%d %q", resp.StatusCode, body)
		if berr != nil {
			fmt.Fprintf(&b, " body error")
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range resp.Header {
				if k != "Date" && !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, resp.Header[k])
		}
		for _, k := range slices.Sorted(maps.Keys(resp.Trailer)) {
			fmt.Fprintf(&b, " trailer %s=%q", k, resp.Trailer[k])
		}
		ex.responses = append(ex.responses, b.String())
	}
	// The server's last word: more bytes, or the connection closed.
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); errors.Is(err, io.EOF) {
		ex.closed = true
	}
	return ex, nil
}

// TestH1ServerAnswersLikeNetHTTP sends the same bytes to Server and to
// net/http and wants the same answers: what the client sees does not
// depend on which of the two served the request. Framing may differ
// (Content-Length or chunked), so it is compared decoded.
func TestH1ServerAnswersLikeNetHTTP(t *testing.T) {
	mux := http.NewServeMux()
	for name, h := range h1Handlers {
		mux.Handle("/"+name, h)
	}
	fast, std := startH1(t, mux, true), startH1(t, mux, false)

	const host = "Host: gw.test\r\n"
	tests := []struct {
		name string
		raw  string
		n    int // responses expected
	}{
		{"plain GET", "GET /small?q=1 HTTP/1.1\r\n" + host + "\r\n", 1},
		{"HEAD", "HEAD /small HTTP/1.1\r\n" + host + "\r\n", 1},
		{"HEAD of a large body", "HEAD /large HTTP/1.1\r\n" + host + "\r\n", 1},
		{"content type sniffed", "GET /html HTTP/1.1\r\n" + host + "\r\n", 1},
		{"large body", "GET /large HTTP/1.1\r\n" + host + "\r\n", 1},
		{"declared length", "GET /declared HTTP/1.1\r\n" + host + "\r\n", 1},
		{"write past the declared length", "GET /overrun HTTP/1.1\r\n" + host + "\r\n", 1},
		{"streamed", "GET /stream HTTP/1.1\r\n" + host + "\r\n", 1},
		{"trailers", "GET /trailers HTTP/1.1\r\n" + host + "TE: trailers\r\n\r\n", 1},
		{"204 drops the body", "GET /nocontent HTTP/1.1\r\n" + host + "\r\n", 1},
		{"304", "GET /notmodified HTTP/1.1\r\n" + host + "\r\n", 1},
		{"nothing written", "GET /empty HTTP/1.1\r\n" + host + "\r\n", 1},
		{"103 then 200", "GET /hints HTTP/1.1\r\n" + host + "\r\n", 2},
		{"POST with a body", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", 1},
		{"POST with Content-Length 0", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", 1},
		{"body half read, then another request", "POST /half HTTP/1.1\r\n" + host + "Content-Length: 6\r\n\r\nabcdefGET /small HTTP/1.1\r\n" + host + "\r\n", 2},
		{"stray CRLF after a POST", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 2\r\n\r\nhi\r\nGET /small HTTP/1.1\r\n" + host + "\r\n", 2},
		{"pipelined", "GET /small HTTP/1.1\r\n" + host + "\r\nGET /declared HTTP/1.1\r\n" + host + "\r\nGET /empty HTTP/1.1\r\n" + host + "\r\n", 3},
		{"client asks to close", "GET /small HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 1},
		{"handler asks to close", "GET /connclose HTTP/1.1\r\n" + host + "\r\n", 1},
		{"CR LF in a header value", "GET /crlf HTTP/1.1\r\n" + host + "\r\n", 1},
		{"header names in any case", "GET /small HTTP/1.1\r\nhOsT: gw.test\r\nx-custom: 1\r\n\r\n", 1},
		{"Pragma: no-cache", "GET /small HTTP/1.1\r\n" + host + "Pragma: no-cache\r\n\r\n", 1},
		{"escaped target", "GET /small?a=%20b&c=%zz HTTP/1.1\r\n" + host + "\r\n", 1},
		{"empty Host", "GET /small HTTP/1.1\r\nHost:\r\n\r\n", 1},

		// Not plain: net/http's to answer, after Server hands over.
		{"chunked request body", "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1},
		{"Expect 100-continue", "POST /echo HTTP/1.1\r\n" + host + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", 2},
		{"HTTP/1.0", "GET /small HTTP/1.0\r\n\r\n", 1},
		{"HTTP/1.0 keep-alive", "GET /small HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /small HTTP/1.0\r\n\r\n", 2},
		{"absolute form", "GET http://gw.test/small HTTP/1.1\r\n" + host + "\r\n", 1},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 1},
		{"LF only", "GET /small HTTP/1.1\n" + host[:len(host)-2] + "\n\n", 1},
		{"obs-fold", "GET /small HTTP/1.1\r\n" + host + "X-A: a\r\n b\r\n\r\n", 1},
		{"space before colon", "GET /small HTTP/1.1\r\n" + host + "X-A : a\r\n\r\n", 1},
		{"no Host", "GET /small HTTP/1.1\r\n\r\n", 1},
		{"two Hosts", "GET /small HTTP/1.1\r\n" + host + host + "\r\n", 1},
		{"bad Host", "GET /small HTTP/1.1\r\nHost: a b\r\n\r\n", 1},
		{"two Content-Lengths", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi", 1},
		{"Content-Length and chunked", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 1},
		{"signed Content-Length", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: +2\r\n\r\nhi", 1},
		{"control character in a value", "GET /small HTTP/1.1\r\n" + host + "X-A: a\x01b\r\n\r\n", 1},
		{"bad escape in the target", "GET /sm%zzall HTTP/1.1\r\n" + host + "\r\n", 1},
		{"head larger than the buffer", "GET /small HTTP/1.1\r\n" + host + "Cookie: " + strings.Repeat("c", 12<<10) + "\r\n\r\n", 1},
		{"upgrade", "GET /small HTTP/1.1\r\n" + host + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 1},
		{"plain, then one to hand over", "GET /small HTTP/1.1\r\n" + host + "\r\nPOST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nGET /declared HTTP/1.1\r\n" + host + "\r\n", 3},
		{"garbage", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 1},
	}
	// Every conversation at once: each waits a moment to see whether the
	// server closes the connection.
	type result struct {
		ex  exchange
		err error
	}
	results := make([][2]chan result, len(tests))
	for i, tc := range tests {
		for j, addr := range []string{fast, std} {
			ch := make(chan result, 1)
			results[i][j] = ch
			go func() {
				ex, err := talk(addr, tc.raw, tc.n)
				ch <- result{ex, err}
			}()
		}
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, w := <-results[i][0], <-results[i][1]
			if g.err != nil || w.err != nil {
				t.Fatalf("Server: %v; net/http: %v", g.err, w.err)
			}
			got, want := g.ex, w.ex
			if !slices.Equal(got.responses, want.responses) || got.closed != want.closed {
				t.Errorf("Server:\n%q closed=%v\nnet/http:\n%q closed=%v", got.responses, got.closed, want.responses, want.closed)
			}
		})
	}
}

// TestH1ServerServesPlainRequestsItself checks that the requests meant for
// the fast path do not fall back to net/http, and that the rest do.
func TestH1ServerServesPlainRequestsItself(t *testing.T) {
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%T", w)
	}), true)
	const host = "Host: gw.test\r\n"
	tests := []struct {
		name, raw string
		want      string
	}{
		{"preflight", "OPTIONS /users/1 HTTP/1.1\r\n" + host + "Origin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization,content-type\r\n\r\n", "*h1.h1Response"},
		{"GET from Go's client", "GET / HTTP/1.1\r\n" + host + "User-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n", "*h1.h1Response"},
		{"POST with a body", "POST / HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", "*h1.h1Response"},
		{"chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "*http.response"},
		{"HTTP/1.0", "GET / HTTP/1.0\r\n" + host + "\r\n", "*http.response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := converse(t, addr, tc.raw, 1)
			if len(ex.responses) != 1 || !strings.Contains(ex.responses[0], tc.want) {
				t.Errorf("got %q, want an answer from %s", ex.responses, tc.want)
			}
		})
	}
}

// TestH1ServerKeepsConnections checks that one connection carries many
// requests and that concurrent connections don't mix their answers.
func TestH1ServerKeepsConnections(t *testing.T) {
	var conns atomic.Int32
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Query().Get("n"))
	}), true)
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 4,
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			conns.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, a)
		},
	}}
	defer client.CloseIdleConnections()
	get := func(want string) error {
		resp, err := client.Get("http://" + addr + "/?n=" + want)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			return fmt.Errorf("got %q, want %q", b, want)
		}
		return nil
	}
	for i := range 50 {
		if err := get(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("50 requests one after the other used %d connections, want 1", n)
	}

	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 50 {
				if err := get(fmt.Sprintf("%d-%d", g, i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestH1ServerShutdown checks that Shutdown closes idle connections, lets
// a request in flight finish, and stops accepting.
func TestH1ServerShutdown(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, "done")
	})}
	s := NewServer(srv, slog.New(slog.DiscardHandler))
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	addr := ln.Addr().String()

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	idleR := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(idleR, nil); err != nil {
		t.Fatal(err)
	} else {
		io.ReadAll(resp.Body)
	}

	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	idle.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := idleR.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: got %v, want it closed (EOF)", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	busy.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("request in flight: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "done" {
		t.Errorf("request in flight got %q, want done", b)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts after Shutdown")
	}
}

// TestH1ServerTimeouts checks the idle and head timeouts: a connection
// that sends nothing, or half a head, is closed.
func TestH1ServerTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}
	s := NewServer(srv, slog.New(slog.DiscardHandler))
	go s.Serve(ln)
	defer s.Shutdown(context.Background())
	for _, send := range []string{"", "GET / HTTP/1.1\r\nHost:"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, send)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Errorf("after sending %q: got %v, want the server to close (EOF)", send, err)
		}
		c.Close()
	}
}

// TestH1ServerRecoversPanics checks that a panicking handler costs its
// connection only.
func TestH1ServerRecoversPanics(t *testing.T) {
	addr := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		io.WriteString(w, "fine")
	}), true)
	ex := converse(t, addr, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	if !ex.closed || !strings.HasPrefix(ex.responses[0], "error") {
		t.Errorf("panicking handler: got %q closed=%v, want no answer and the connection closed", ex.responses, ex.closed)
	}
	ex = converse(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	if !strings.HasPrefix(ex.responses[0], `200 "fine"`) {
		t.Errorf("after a panic: got %q, want 200 fine", ex.responses)
	}
}

// FuzzScanHead checks headScanner against net/http's parser: a head it
// calls plain is one http.ReadRequest reads the same way (length, body
// length, no other framing), and its verdict does not depend on how the
// bytes arrive: fed one growing prefix at a time, it never decides before
// the head ends and decides as it does on the whole.
func FuzzScanHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS /users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx",
	} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		var whole headScanner
		v, n, bodyLen := whole.scan(b)
		var grown headScanner
		for i := 0; ; i += int(step) + 1 {
			i = min(i, len(b))
			gv, gn, gl := grown.scan(b[:i])
			if gv != headMore || i == len(b) {
				if gv != v || gn != n || gl != bodyLen {
					t.Fatalf("fed in steps of %d: %v %d %d; whole: %v %d %d", int(step)+1, gv, gn, gl, v, n, bodyLen)
				}
				if v == headPlain && i < n {
					t.Fatalf("plain after %d bytes of a %d-byte head", i, n)
				}
				break
			}
		}
		if v != headPlain {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(b[:n]))))
		if err != nil {
			return // Server hands such heads to net/http
		}
		if req.ContentLength != bodyLen || len(req.TransferEncoding) > 0 || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
			t.Fatalf("plain with body %d; ReadRequest: length %d, encoding %q, %s", bodyLen, req.ContentLength, req.TransferEncoding, req.Proto)
		}
		if req.Header.Get("Expect") != "" || req.Header.Get("Upgrade") != "" || len(req.Header["Content-Length"]) > 1 {
			t.Fatalf("plain: %q", b[:n])
		}
	})
}

// FuzzServer sends the same bytes to Server and to net/http and
// wants their handlers to see the same requests (method, target, host,
// headers, body), whatever the bytes: the fast path must read exactly what
// net/http would, and hand over what it does not take.
func FuzzServer(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a?b=c HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
		"GET / HTTP/1.0\r\n\r\n",
		"OPTIONS /users/1 HTTP/1.1\r\nHost: gw\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
		"GET /a%20b/%2F?x=%zz&y#frag HTTP/1.1\r\nhost:  a \t\r\nx-multi-word-key: \t v \r\nX-MULTI-WORD-KEY:\r\nx-e:\xff\xfe\r\n\r\n",
		"GET //double/../dots HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost:\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nA-Very-Long-Header-Name-That-Goes-On-And-On-Beyond-Sixty-Four-Bytes-For-Sure: v\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	type seen struct {
		mu   sync.Mutex
		reqs []string
	}
	record := func(s *seen) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			var b strings.Builder
			fmt.Fprintf(&b, "%s %q %s host=%q len=%d te=%q close=%v body=%q err=%v", r.Method, r.RequestURI, r.Proto, r.Host, r.ContentLength, r.TransferEncoding, r.Close, body, err != nil)
			for _, k := range slices.Sorted(maps.Keys(r.Header)) {
				fmt.Fprintf(&b, " %s=%q", k, r.Header[k])
			}
			s.mu.Lock()
			s.reqs = append(s.reqs, b.String())
			s.mu.Unlock()
			io.WriteString(w, "ok")
		})
	}
	var fastSeen, stdSeen seen
	fast := startH1(f, record(&fastSeen), true)
	std := startH1(f, record(&stdSeen), false)
	send := func(addr string, b []byte) error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(b); err != nil {
			return nil // the server closed early: what it saw is compared
		}
		c.(*net.TCPConn).CloseWrite()
		// Both servers close once they have read everything.
		_, err = io.Copy(io.Discard, c)
		if isTimeoutErr(err) {
			return err
		}
		return nil
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		fastSeen.reqs, stdSeen.reqs = nil, nil
		if err := send(fast, b); err != nil {
			t.Fatalf("Server: %v", err)
		}
		if err := send(std, b); err != nil {
			t.Fatalf("net/http: %v", err)
		}
		fastSeen.mu.Lock()
		stdSeen.mu.Lock()
		defer fastSeen.mu.Unlock()
		defer stdSeen.mu.Unlock()
		if !slices.Equal(fastSeen.reqs, stdSeen.reqs) {
			t.Fatalf("Server's handler saw\n%q\nnet/http's saw\n%q", fastSeen.reqs, stdSeen.reqs)
		}
	})
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// BenchmarkParseHead compares reading a browser's preflight head with
// http.ReadRequest and with buildRequest, which Server uses.
func BenchmarkParseHead(b *testing.B) {
	head := []byte("OPTIONS /users/1 HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\n" +
		"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization,content-type\r\n" +
		"User-Agent: Mozilla/5.0\r\nAccept: */*\r\nSec-Fetch-Mode: cors\r\n\r\n")
	b.Run("parser=net-http", func(b *testing.B) {
		var src bytes.Reader
		br := bufio.NewReaderSize(&src, 4096)
		b.ReportAllocs()
		for b.Loop() {
			src.Reset(head)
			br.Reset(&src)
			if _, err := http.ReadRequest(br); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parser=crossgate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := buildRequest(head, 0, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/loopback"
)

// ucServer is a loopback upstream that counts the connections it accepts.
type ucServer struct {
	*httptest.Server
	conns atomic.Int32
	url   *url.URL
}

func newUCServer(t testing.TB, h http.HandlerFunc) *ucServer {
	t.Helper()
	s := &ucServer{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	s.url, _ = url.Parse(s.URL)
	return s
}

// ucRequest builds a request as the gateway's outgoing one looks: target
// in the URL, Host empty, User-Agent empty.
func ucRequest(ctx context.Context, method string, target *url.URL, path string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(ctx, method, target.String()+path, body)
	if err != nil {
		panic(err)
	}
	req.Host = ""
	req.Header["User-Agent"] = []string{""}
	return req
}

// roundTrip sends req and reads the whole answer.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

// chunkedOnly hides a reader's type, so that its length is unknown.
type chunkedOnly struct{ io.Reader }

func TestUpstreamClientExchanges(t *testing.T) {
	type seen struct {
		method, body, te, ua, host, trailer, cl string
		length                                  int64
		hasUA                                   bool
	}
	var mu sync.Mutex
	var last seen
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, hasUA := r.Header["User-Agent"]
		mu.Lock()
		last = seen{r.Method, string(b), strings.Join(r.TransferEncoding, ","), r.UserAgent(), r.Host,
			r.Trailer.Get("X-Sum"), r.Header.Get("Content-Length"), r.ContentLength, hasUA}
		mu.Unlock()
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":1}`)
		case "/echo":
			w.Write(b)
		case "/trailers":
			w.Header().Set("Trailer", "X-Checksum")
			io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part two")
			w.Header().Set("X-Checksum", "abc")
		case "/head":
			w.Header().Set("Content-Length", "1234")
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/http10":
			// Hijack to answer as an HTTP/1.0 server without keep-alive.
			conn, bw, _ := w.(http.Hijacker).Hijack()
			bw.WriteString("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold")
			bw.Flush()
			conn.Close()
		}
	})
	uc := NewClient([]*url.URL{s.url}, 5*time.Second)
	defer uc.CloseIdleConnections()

	tests := []struct {
		name        string
		method      string
		path        string
		body        func() io.Reader
		header      map[string]string
		trailer     http.Header
		wantStatus  int
		wantBody    string
		wantHeader  map[string]string
		wantTrailer map[string]string
		wantSeen    seen
		wantReuse   bool // the next request finds the connection in the pool
	}{
		{
			name: "GET", method: "GET", path: "/json",
			wantStatus: 200, wantBody: `{"id":1}`, wantHeader: map[string]string{"Content-Type": "application/json"},
			wantSeen:  seen{method: "GET", host: s.url.Host},
			wantReuse: true,
		},
		{
			name: "GET with a User-Agent", method: "GET", path: "/json", header: map[string]string{"User-Agent": "curl/8"},
			wantStatus: 200, wantBody: `{"id":1}`,
			wantSeen:  seen{method: "GET", host: s.url.Host, ua: "curl/8", hasUA: true},
			wantReuse: true,
		},
		{
			name: "POST with Content-Length", method: "POST", path: "/echo",
			body:       func() io.Reader { return strings.NewReader(strings.Repeat("x", 10000)) },
			wantStatus: 200, wantBody: strings.Repeat("x", 10000),
			wantSeen:  seen{method: "POST", host: s.url.Host, body: strings.Repeat("x", 10000), cl: "10000", length: 10000},
			wantReuse: true,
		},
		{
			name: "POST of unknown length goes chunked", method: "POST", path: "/echo",
			body: func() io.Reader {
				return chunkedOnly{io.MultiReader(strings.NewReader("hello, "), strings.NewReader("world"))}
			},
			wantStatus: 200, wantBody: "hello, world",
			wantSeen:  seen{method: "POST", host: s.url.Host, body: "hello, world", te: "chunked", length: -1},
			wantReuse: true,
		},
		{
			name: "chunked POST carries its trailer", method: "POST", path: "/echo",
			body:       func() io.Reader { return chunkedOnly{strings.NewReader("data")} },
			trailer:    http.Header{"X-Sum": {"7"}},
			wantStatus: 200, wantBody: "data",
			wantSeen:  seen{method: "POST", host: s.url.Host, body: "data", te: "chunked", length: -1, trailer: "7"},
			wantReuse: true,
		},
		{
			name: "POST without a body says Content-Length: 0", method: "POST", path: "/echo",
			wantStatus: 200, wantBody: "",
			wantSeen:  seen{method: "POST", host: s.url.Host, cl: "0", length: 0},
			wantReuse: true,
		},
		{
			name: "chunked response with trailers", method: "GET", path: "/trailers",
			wantStatus: 200, wantBody: "part one, part two", wantTrailer: map[string]string{"X-Checksum": "abc"},
			wantSeen:  seen{method: "GET", host: s.url.Host},
			wantReuse: true,
		},
		{
			name: "HEAD has no body", method: "HEAD", path: "/head",
			wantStatus: 200, wantBody: "", wantHeader: map[string]string{"Content-Length": "1234"},
			wantSeen:  seen{method: "HEAD", host: s.url.Host},
			wantReuse: true,
		},
		{
			name: "204 has no body", method: "GET", path: "/204",
			wantStatus: 204, wantSeen: seen{method: "GET", host: s.url.Host}, wantReuse: true,
		},
		{
			name: "304 has no body", method: "GET", path: "/304",
			wantStatus: 304, wantSeen: seen{method: "GET", host: s.url.Host}, wantReuse: true,
		},
		{
			name: "Connection: close from the upstream", method: "GET", path: "/close",
			wantStatus: 200, wantBody: "bye", wantSeen: seen{method: "GET", host: s.url.Host}, wantReuse: false,
		},
		{
			name: "HTTP/1.0 answer ends with the connection", method: "GET", path: "/http10",
			wantStatus: 200, wantBody: "old", wantSeen: seen{method: "GET", host: s.url.Host}, wantReuse: false,
		},
		{
			name: "head larger than the write buffer", method: "GET", path: "/json",
			header:     map[string]string{"User-Agent": strings.Repeat("u", 3*upstreamBufferSize)},
			wantStatus: 200, wantBody: `{"id":1}`,
			wantSeen:  seen{method: "GET", host: s.url.Host, ua: strings.Repeat("u", 3*upstreamBufferSize), hasUA: true},
			wantReuse: true,
		},
		{
			name: "Expect: 100-continue sends the body after 100", method: "PUT", path: "/echo",
			body:       func() io.Reader { return strings.NewReader("after continue") },
			header:     map[string]string{"Expect": "100-continue"},
			wantStatus: 200, wantBody: "after continue",
			wantSeen:  seen{method: "PUT", host: s.url.Host, body: "after continue", cl: "14", length: 14},
			wantReuse: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc.CloseIdleConnections()
			var body io.Reader
			if tt.body != nil {
				body = tt.body()
			}
			req := ucRequest(context.Background(), tt.method, s.url, tt.path, body)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			req.Trailer = tt.trailer
			before := s.conns.Load()
			resp, got := roundTrip(t, uc, req)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got != tt.wantBody {
				t.Errorf("body %.40q, want %.40q", got, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
			for k, v := range tt.wantTrailer {
				if g := resp.Trailer.Get(k); g != v {
					t.Errorf("trailer %s = %q, want %q", k, g, v)
				}
			}
			if n, want := uc.idle.Load(), map[bool]int64{true: 1, false: 0}[tt.wantReuse]; n != want {
				t.Errorf("%d connections pooled after the answer, want %d", n, want)
			}
			mu.Lock()
			gotSeen := last
			mu.Unlock()
			if gotSeen != tt.wantSeen {
				t.Errorf("upstream saw %+v, want %+v", gotSeen, tt.wantSeen)
			}
			// A second request shows whether the connection was pooled.
			roundTrip(t, uc, ucRequest(context.Background(), "GET", s.url, "/json", nil))
			used := s.conns.Load() - before
			if want := map[bool]int32{true: 1, false: 2}[tt.wantReuse]; used != want {
				t.Errorf("two requests used %d connections, want %d", used, want)
			}
		})
	}
}

func TestUpstreamClientReusesConnections(t *testing.T) {
	tests := []struct {
		name       string
		goroutines int
		requests   int // per goroutine
	}{
		{"sequential", 1, 100},
		{"concurrent", 8, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Query().Get("n"))
			})
			uc := NewClient([]*url.URL{s.url}, 5*time.Second)
			defer uc.CloseIdleConnections()
			errs := make(chan error, tt.goroutines)
			for g := range tt.goroutines {
				go func() {
					for i := range tt.requests {
						want := fmt.Sprintf("%d-%d", g, i)
						resp, err := uc.RoundTrip(ucRequest(context.Background(), "GET", s.url, "/?n="+want, nil))
						if err != nil {
							errs <- err
							return
						}
						b, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || string(b) != want {
							errs <- fmt.Errorf("got %q, %v; want %q", b, err, want)
							return
						}
					}
					errs <- nil
				}()
			}
			for range tt.goroutines {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if n := s.conns.Load(); n > int32(tt.goroutines) {
				t.Errorf("%d requests on %d goroutines used %d connections, want at most %d",
					tt.goroutines*tt.requests, tt.goroutines, n, tt.goroutines)
			}
		})
	}
}

// rawUpstream serves each accepted connection with serve, on loopback.
func rawUpstream(t *testing.T, serve func(conn net.Conn, n int)) (target *url.URL, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(accepted.Add(1))
			wg.Go(func() {
				defer conn.Close()
				serve(conn, n)
			})
		}
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, accepted
}

func TestUpstreamClientRetriesClosedKeepAlive(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   func() io.Reader
	}{
		{"GET is sent again", "GET", nil},
		{"POST with a body finds an open connection", "POST", func() io.Reader { return chunkedOnly{strings.NewReader("payload")} }},
		{"DELETE finds an open connection", "DELETE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each connection answers one request as keep-alive, then the
			// upstream closes it, as an idle timeout would.
			closed := make(chan struct{}, 2)
			target, accepted := rawUpstream(t, func(conn net.Conn, n int) {
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(req.Body)
				fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b)+len(req.Method)+1, req.Method+" "+string(b))
				conn.Close()
				closed <- struct{}{}
			})
			uc := NewClient([]*url.URL{target}, 5*time.Second)
			defer uc.CloseIdleConnections()
			roundTrip(t, uc, ucRequest(context.Background(), "GET", target, "/", nil))
			<-closed
			var body io.Reader
			want := tt.method + " "
			if tt.body != nil {
				body = tt.body()
				want += "payload"
			}
			resp, got := roundTrip(t, uc, ucRequest(context.Background(), tt.method, target, "/", body))
			if resp.StatusCode != 200 || got != want {
				t.Errorf("got %d %q, want 200 %q", resp.StatusCode, got, want)
			}
			if n := accepted.Load(); n != 2 {
				t.Errorf("upstream accepted %d connections, want 2", n)
			}
		})
	}
}

// TestUpstreamClientErrNotSent checks that the failures of requests no
// upstream saw wrap ErrNotSent, which lets the gateway send them to
// another target, and that the failures of requests an upstream may have
// acted on do not.
func TestUpstreamClientErrNotSent(t *testing.T) {
	refused := &url.URL{Scheme: "http", Host: loopback.RefusedAddr(t)}
	readsThenCloses, _ := rawUpstream(t, func(conn net.Conn, n int) {
		http.ReadRequest(bufio.NewReader(conn))
	})
	ok, _ := rawUpstream(t, func(conn net.Conn, n int) {
		http.ReadRequest(bufio.NewReader(conn))
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	tests := []struct {
		name        string
		target      *url.URL
		method      string
		header      http.Header
		wantNotSent bool
	}{
		{"refused dial", refused, "POST", nil, true},
		{"upstream read the request and closed", readsThenCloses, "POST", nil, false},
		{"header refused before sending", ok, "GET", http.Header{"X-Evil": {"a\r\nb: c"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc := NewClient([]*url.URL{tt.target}, 5*time.Second)
			defer uc.CloseIdleConnections()
			req := ucRequest(context.Background(), tt.method, tt.target, "/", nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := uc.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("status %d, want an error", resp.StatusCode)
			}
			if got := errors.Is(err, ErrNotSent); got != tt.wantNotSent {
				t.Errorf("errors.Is(%v, ErrNotSent) = %v, want %v", err, got, tt.wantNotSent)
			}
		})
	}
}

// TestUpstreamClientNeverRetriesAfterAnAnswer checks that a request whose
// answer had begun is not sent twice.
func TestUpstreamClientNeverRetriesAfterAnAnswer(t *testing.T) {
	target, accepted := rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Le")
	})
	uc := NewClient([]*url.URL{target}, 5*time.Second)
	_, err := uc.RoundTrip(ucRequest(context.Background(), "GET", target, "/", nil))
	if err == nil {
		t.Fatal("a truncated head gave no error")
	}
	if isTimeoutErr(err) {
		t.Errorf("%v is a timeout, which the gateway answers with 504, want a plain error (502)", err)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("upstream accepted %d connections, want 1", n)
	}
}

func TestUpstreamClientErrors(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newUCServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ok := newUCServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	closedPort := &url.URL{Scheme: "http", Host: loopback.RefusedAddr(t)}
	garbage, _ := rawUpstream(t, func(conn net.Conn, n int) {
		http.ReadRequest(bufio.NewReader(conn))
		io.WriteString(conn, "SSH-2.0-OpenSSH\r\n\r\n")
	})
	switching, _ := rawUpstream(t, func(conn net.Conn, n int) {
		http.ReadRequest(bufio.NewReader(conn))
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	})

	tests := []struct {
		name        string
		target      *url.URL
		client      func(*Client)
		header      http.Header
		wantTimeout bool // a net.Error whose Timeout is true: the gateway's 504, else 502
		wantIn      string
	}{
		{"no response head in time gives 504", slow.url, nil, nil, true, "no response head within"},
		{"refused dial gives 502", closedPort, nil, nil, false, "refused"},
		{"dial timeout gives 504", ok.url, func(u *Client) { u.dialer.Timeout = time.Nanosecond }, nil, true, "timeout"},
		{"not HTTP gives 502", garbage, nil, nil, false, "malformed"},
		{"101 gives 502", switching, nil, nil, false, "101"},
		{"CR LF in a value is refused", ok.url, nil, http.Header{"X-Evil": {"a\r\nInjected: yes"}}, false, "control character"},
		{"LF alone is refused", ok.url, nil, http.Header{"X-Evil": {"a\nb"}}, false, "control character"},
		{"NUL is refused", ok.url, nil, http.Header{"X-Evil": {"a\x00b"}}, false, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc := NewClient([]*url.URL{tt.target}, 100*time.Millisecond)
			defer uc.CloseIdleConnections()
			if tt.client != nil {
				tt.client(uc)
			}
			req := ucRequest(context.Background(), "GET", tt.target, "/", nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := uc.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("status %d, want an error", resp.StatusCode)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not say %q", err, tt.wantIn)
			}
			if got := isTimeoutErr(err); got != tt.wantTimeout {
				t.Errorf("%v: timeout %v, want %v", err, got, tt.wantTimeout)
			}
		})
	}
}

// TestUpstreamClientRefusedHeaderKeepsConnection checks that a refused
// request leaves its pooled connection usable: nothing was sent on it.
func TestUpstreamClientRefusedHeaderKeepsConnection(t *testing.T) {
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	uc := NewClient([]*url.URL{s.url}, 5*time.Second)
	defer uc.CloseIdleConnections()
	roundTrip(t, uc, ucRequest(context.Background(), "GET", s.url, "/", nil))
	bad := ucRequest(context.Background(), "GET", s.url, "/", nil)
	bad.Header["X-Evil"] = []string{"a\r\nb"}
	if _, err := uc.RoundTrip(bad); err == nil {
		t.Fatal("a value with CR LF was sent")
	}
	if _, got := roundTrip(t, uc, ucRequest(context.Background(), "GET", s.url, "/", nil)); got != "ok" {
		t.Errorf("body %q, want ok", got)
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("used %d connections, want 1", n)
	}
}

func TestUpstreamClientEarlyClose(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, "small")
	})
	uc := NewClient([]*url.URL{s.url}, 5*time.Second)
	defer uc.CloseIdleConnections()
	tests := []struct {
		name     string
		read     int // bytes read before Close
		wantNext int32
	}{
		{"closed before reading", 0, 2},
		{"closed after a few bytes", 100, 2},
		{"closed after the end", len(big), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc.CloseIdleConnections()
			before := s.conns.Load()
			resp, err := uc.RoundTrip(ucRequest(context.Background(), "GET", s.url, "/big", nil))
			if err != nil {
				t.Fatal(err)
			}
			if tt.read == len(big) {
				io.Copy(io.Discard, resp.Body)
			} else if _, err := io.ReadFull(resp.Body, make([]byte, tt.read)); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
				t.Error("a read after Close gave no error")
			}
			if _, got := roundTrip(t, uc, ucRequest(context.Background(), "GET", s.url, "/small", nil)); got != "small" {
				t.Errorf("next body %q, want small", got)
			}
			if used := s.conns.Load() - before; used != tt.wantNext {
				t.Errorf("used %d connections, want %d", used, tt.wantNext)
			}
		})
	}
}

func TestUpstreamClientCancel(t *testing.T) {
	arrived := make(chan struct{}, 1)
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			io.WriteString(w, "first")
			w.(http.Flusher).Flush()
		}
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
			// Bounds the test when cancellation fails: the client then
			// gets an answer instead of an error.
		}
	})
	uc := NewClient([]*url.URL{s.url}, 0)
	defer uc.CloseIdleConnections()
	tests := []struct {
		name string
		path string
		when string // "before", "waiting for the head", "reading the body"
	}{
		{"cancelled before sending", "/", "before"},
		{"cancelled waiting for the head", "/", "waiting for the head"},
		{"cancelled reading the body", "/stream", "reading the body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			switch tt.when {
			case "before":
				cancel()
			case "waiting for the head":
				go func() {
					<-arrived
					cancel()
				}()
			}
			resp, err := uc.RoundTrip(ucRequest(ctx, "GET", s.url, tt.path, nil))
			if tt.when == "reading the body" {
				if err != nil {
					t.Fatal(err)
				}
				<-arrived
				cancel()
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
}

// TestUpstreamClientExpectContinueRefused checks that a body waiting for
// 100 Continue is not sent when the upstream answers at once, and that the
// connection, whose request the upstream may still expect, is not reused.
func TestUpstreamClientExpectContinueRefused(t *testing.T) {
	leftover := make(chan string, 1)
	target, accepted := rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if n == 1 {
			io.WriteString(conn, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
			rest, _ := io.ReadAll(br) // until the client closes
			leftover <- string(rest)
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	uc := NewClient([]*url.URL{target}, 5*time.Second)
	defer uc.CloseIdleConnections()
	req := ucRequest(context.Background(), "PUT", target, "/", strings.NewReader("never sent"))
	req.Header.Set("Expect", "100-continue")
	resp, _ := roundTrip(t, uc, req)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	if n := uc.idle.Load(); n != 0 {
		t.Fatalf("%d connections pooled, want 0", n)
	}
	if rest := <-leftover; rest != "" {
		t.Errorf("the upstream received %q after the head, want nothing", rest)
	}
	if _, got := roundTrip(t, uc, ucRequest(context.Background(), "GET", target, "/", nil)); got != "ok" {
		t.Errorf("next body %q, want ok", got)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("used %d connections, want 2", n)
	}
}

// TestUpstreamClientExpectContinueTimeout checks that a body waiting for a
// 100 Continue that never comes is sent once the wait is over.
func TestUpstreamClientExpectContinueTimeout(t *testing.T) {
	target, _ := rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(req.Body)
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
	})
	uc := NewClient([]*url.URL{target}, 5*time.Second)
	defer uc.CloseIdleConnections()
	uc.continueTimeout = time.Nanosecond
	req := ucRequest(context.Background(), "PUT", target, "/", strings.NewReader("sent anyway"))
	req.Header.Set("Expect", "100-continue")
	if resp, got := roundTrip(t, uc, req); resp.StatusCode != 200 || got != "sent anyway" {
		t.Errorf("got %d %q, want 200 %q", resp.StatusCode, got, "sent anyway")
	}
}

func TestUpstreamClientPoolLimits(t *testing.T) {
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tests := []struct {
		name       string
		open       int // bodies held open at once
		maxIdle    int
		age        time.Duration // added to the pooled connections' idle time
		sweep      bool          // run the idle sweep instead of a request
		wantIdle   int
		wantDialed int32 // by one request after the pool filled
	}{
		{"fresh connection reused", 1, 256, 0, false, 1, 0},
		{"idle longer than the timeout is not reused", 2, 256, upstreamIdleTimeout, false, 1, 1},
		{"sweep closes old idle connections", 3, 256, upstreamIdleTimeout, true, 0, 0},
		{"no more than the per-host limit pooled", 4, 2, 0, false, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc := NewClient([]*url.URL{s.url}, 5*time.Second)
			defer uc.CloseIdleConnections()
			uc.maxIdlePerHost = tt.maxIdle
			var open []*http.Response
			for range tt.open {
				resp, err := uc.RoundTrip(ucRequest(context.Background(), "GET", s.url, "/", nil))
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, resp)
			}
			for _, resp := range open {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			p := uc.pool(s.url.Host)
			p.mu.Lock()
			for _, c := range p.idle {
				c.idleSince = c.idleSince.Add(-tt.age)
			}
			p.mu.Unlock()
			before := s.conns.Load()
			if tt.sweep {
				p.sweepIdle()
			} else {
				roundTrip(t, uc, ucRequest(context.Background(), "GET", s.url, "/", nil))
			}
			p.mu.Lock()
			idle := len(p.idle)
			p.mu.Unlock()
			if idle != tt.wantIdle {
				t.Errorf("%d idle connections, want %d", idle, tt.wantIdle)
			}
			if n := uc.idle.Load(); n != int64(idle) {
				t.Errorf("idle count %d, pool holds %d", n, idle)
			}
			if dialed := s.conns.Load() - before; dialed != tt.wantDialed {
				t.Errorf("dialed %d connections, want %d", dialed, tt.wantDialed)
			}
		})
	}
}

func TestUpstreamClientRefusesBadRequests(t *testing.T) {
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	tests := []struct {
		name   string
		modify func(*http.Request)
		wantIn string
	}{
		{"https target", func(r *http.Request) { r.URL.Scheme = "https" }, "only http://"},
		{"no host", func(r *http.Request) { r.URL.Host = "" }, "no host"},
		{"bad method", func(r *http.Request) { r.Method = "GET /x" }, "not a token"},
		{"bad Host", func(r *http.Request) { r.Host = "a\r\nb" }, "Host"},
		{"control character in the target", func(r *http.Request) { r.URL.RawQuery = "a=1\r\nX: y" }, "target"},
		{"short body", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("abc"))
			r.ContentLength = 10
		}, "shorter than its Content-Length"},
	}
	s := newUCServer(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc := NewClient(nil, 5*time.Second)
			defer uc.CloseIdleConnections()
			tgt := target
			if tt.name == "short body" {
				tgt = s.url
			}
			req := ucRequest(context.Background(), "POST", tgt, "/", nil)
			tt.modify(req)
			resp, err := uc.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not say %q", err, tt.wantIn)
			}
		})
	}
}

// BenchmarkUpstreamRoundTrip compares net/http's Transport, configured as
// the gateway configures it, with Client on one loopback upstream
// answering a small JSON body.
func BenchmarkUpstreamRoundTrip(b *testing.B) {
	const body = `{"id":1,"name":"Ada Lovelace","email":"ada@example.com"}` + "\n"
	s := newUCServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	})
	// The Transport's pool as the gateway sizes it.
	transport := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	cases := []struct {
		name string
		rt   http.RoundTripper
	}{
		{"transport=net-http", transport},
		{"transport=crossgate", NewClient([]*url.URL{s.url}, 30*time.Second)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := ucRequest(context.Background(), "GET", s.url, "/users/1", nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Forwarded-For", "127.0.0.1")
			req.Header.Set("X-Forwarded-Proto", "http")
			buf := make([]byte, 512)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.ReadFull(resp.Body, buf[:len(body)])
				resp.Body.Read(buf) // reach the end: the connection goes back
				resp.Body.Close()
				if n != len(body) {
					b.Fatalf("read %d bytes, want %d", n, len(body))
				}
			}
		})
	}
}

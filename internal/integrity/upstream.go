package integrity

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// A Behaviour is how the upstream answers a request whose path ends with
// its name. Every answer that is an answer carries the request's id in
// X-Echo-Id and, when it has a body, "id=<id>" in the body; every stray
// response a misbehaving upstream adds carries the id of the request it
// just answered, so that it shows as a crossed answer wherever it lands.
type Behaviour struct {
	Name string
	// Method is the request's method.
	Method string
	// Fails is true when the gateway cannot relay the request's answer
	// (502, or a body cut short): the request gets an error, never
	// another's answer.
	Fails bool
	// answer writes the answer to the request with id; it returns the
	// stray bytes to send once the connection has been silent for
	// lateAfter (none when empty), and whether to end the connection.
	answer func(w *bufio.Writer, id string) (late string, lateAfter time.Duration, end connEnd)
}

type connEnd int

const (
	keepOpen connEnd = iota
	closeConn
	resetConn
)

// bigBody is the padding of a 20,000-byte body: a read of it goes past the
// gateway's buffers, so that what follows it stays in the socket.
var bigBody = strings.Repeat("x", 20000)

func answerOK(w io.Writer, id, pad string) {
	body := "id=" + id + pad
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\n\r\n%s", len(body), id, body)
}

// stray is a whole response that answers no request: the id is that of
// the request answered before it. when says how it is sent: "same-write",
// right behind an answer, or "late", once the connection has been silent
// for a while.
func stray(id, when string) string {
	body := "id=" + id
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\nX-Stray: %s\r\n\r\n%s", len(body), id, when, body)
}

// Behaviours are the upstream's answers: the well-behaved ones, and the
// misbehaviours of the issue that found crossed responses.
var Behaviours = []Behaviour{
	{Name: "ok", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		answerOK(w, id, "")
		return "", 0, keepOpen
	}},
	{Name: "post", Method: "POST", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		answerOK(w, id, "")
		return "", 0, keepOpen
	}},
	{Name: "big", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		answerOK(w, id, bigBody)
		return "", 0, keepOpen
	}},
	{Name: "extra-same-write", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		// The stray response in the same write as a large body.
		var b strings.Builder
		answerOK(&b, id, bigBody)
		b.WriteString(stray(id, "same-write"))
		io.WriteString(w, b.String())
		return "", 0, keepOpen
	}},
	{Name: "extra-later", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		answerOK(w, id, "")
		return stray(id, "late"), 150 * time.Millisecond, keepOpen
	}},
	{Name: "head-body", Method: "HEAD", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\n\r\n", len(stray(id, "late")), id)
		// The body a HEAD answer must not have, 100 ms later.
		return stray(id, "late"), 100 * time.Millisecond, keepOpen
	}},
	{Name: "head-body-same-write", Method: "HEAD", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\n\r\n%s", len(stray(id, "same-write")), id, stray(id, "same-write"))
		return "", 0, keepOpen
	}},
	{Name: "204-body", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 204 No Content\r\nX-Echo-Id: %s\r\n\r\n%s", id, stray(id, "same-write"))
		return "", 0, keepOpen
	}},
	{Name: "304-body", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\nX-Echo-Id: %s\r\n\r\n%s", id, stray(id, "same-write"))
		return "", 0, keepOpen
	}},
	{Name: "two-content-lengths", Method: "GET", Fails: true, answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		body := "id=" + id
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\n\r\n%s%s", len(body), len(body)+5, id, body, stray(id, "same-write"))
		return "", 0, keepOpen
	}},
	{Name: "garbage-between", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		var b strings.Builder
		answerOK(&b, id, "")
		b.WriteString("\x00\x01 not HTTP at all\r\n\r\n")
		io.WriteString(w, b.String())
		return "garbage\r\n" + stray(id, "late"), 20 * time.Millisecond, keepOpen
	}},
	{Name: "early-close", Method: "GET", Fails: true, answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Echo-Id: %s\r\n\r\nid=%s", id, id)
		return "", 0, closeConn
	}},
	{Name: "reset", Method: "GET", Fails: true, answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Echo-Id: %s\r\n\r\nid=%s", id, id)
		return "", 0, resetConn
	}},
	{Name: "slow-body", Method: "GET", answer: func(w *bufio.Writer, id string) (string, time.Duration, connEnd) {
		body := "id=" + id + strings.Repeat("s", 300)
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Echo-Id: %s\r\n\r\n", len(body), id)
		for i := 0; i < len(body); i += 100 {
			if w.Flush() != nil {
				return "", 0, closeConn
			}
			time.Sleep(5 * time.Millisecond)
			w.WriteString(body[i:min(i+100, len(body))])
		}
		return "", 0, keepOpen
	}},
}

func behaviour(name string) *Behaviour {
	for i := range Behaviours {
		if Behaviours[i].Name == name {
			return &Behaviours[i]
		}
	}
	return nil
}

// upstream is a raw loopback HTTP/1.1 server playing Behaviours.
type upstream struct {
	ln net.Listener
	wg sync.WaitGroup
	mu sync.Mutex
	cs map[net.Conn]struct{}
}

func startUpstream() (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{ln: ln, cs: make(map[net.Conn]struct{})}
	u.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				// Out of descriptors or the like: wait, as servers do.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			u.mu.Lock()
			u.cs[c] = struct{}{}
			u.mu.Unlock()
			u.wg.Go(func() {
				u.serve(c)
				u.mu.Lock()
				delete(u.cs, c)
				u.mu.Unlock()
			})
		}
	})
	return u, nil
}

func (u *upstream) addr() string { return u.ln.Addr().String() }

func (u *upstream) close() {
	u.ln.Close()
	u.mu.Lock()
	for c := range u.cs {
		c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

func (u *upstream) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	// Large enough for every answer but the slow one, which flushes as it
	// goes: bytes an answer puts "in the same write" leave in one send().
	bw := bufio.NewWriterSize(c, 64<<10)
	var late string
	var lateAfter time.Duration
	for {
		if late != "" {
			// Stray bytes once the connection has been silent for a
			// while: a request that arrives first is answered instead.
			c.SetReadDeadline(time.Now().Add(lateAfter))
			_, err := br.Peek(1)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if _, err := io.WriteString(c, late); err != nil {
					return
				}
				late = ""
			} else if err != nil {
				return
			}
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		b := behaviour(req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:])
		if b == nil {
			io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
			continue
		}
		var end connEnd
		late, lateAfter, end = b.answer(bw, req.Header.Get("X-Request-Id"))
		if bw.Flush() != nil {
			return
		}
		switch end {
		case closeConn:
			return
		case resetConn:
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			return
		}
	}
}

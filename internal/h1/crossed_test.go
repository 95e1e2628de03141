package h1

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A misbehaving upstream's answer to one request: writes, each after its
// pause, then the connection closes (or is reset) if asked.
type upstreamWrite struct {
	after time.Duration
	data  string
}

type upstreamAnswer struct {
	writes []upstreamWrite
	close  bool // close the connection after the writes
	reset  bool // reset it (RST) after the writes
}

// honest is the answer of a well-behaved upstream to method and path, sent
// after pause: "you asked for METHOD PATH", which the tests look for.
func honest(method, path string, pause time.Duration) upstreamWrite {
	body := "you asked for " + method + " " + path
	return upstreamWrite{pause, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)}
}

// forged is a whole response that no request asked for.
const forged = "HTTP/1.1 200 OK\r\nContent-Length: 27\r\nX-Forged: 1\r\n\r\n<script>evil()</script>!!!\n"

// misbehavingUpstream answers each request with answer(method, path), and
// every other request honestly after 20 ms, as the upstream of the issue
// that found the crossed responses did.
func misbehavingUpstream(t *testing.T, answer func(method, path string) (upstreamAnswer, bool)) *url.URL {
	target, _ := rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			a, ok := answer(req.Method, req.URL.Path)
			if !ok {
				a = upstreamAnswer{writes: []upstreamWrite{honest(req.Method, req.URL.Path, 20*time.Millisecond)}}
			}
			for _, w := range a.writes {
				time.Sleep(w.after)
				if _, err := io.WriteString(conn, w.data); err != nil {
					return
				}
			}
			if a.reset {
				conn.(*net.TCPConn).SetLinger(0)
				return
			}
			if a.close {
				return
			}
		}
	})
	return target
}

// TestNoCrossedResponses holds the client, beside net/http's Transport, to
// the rule that an upstream exchange's bytes never reach another request:
// for every misbehaviour of the issue that found crossed responses, the
// misbehaving request gets its own answer or an error, and the requests
// after it (a GET, another GET, a POST) each get their own answer.
func TestNoCrossedResponses(t *testing.T) {
	big := strings.Repeat("x", 20000)
	tests := []struct {
		name string
		// method and path of the misbehaving request
		method, path string
		answer       upstreamAnswer
		// settle is how long the next request waits: bytes that arrive
		// after a request was written are its answer to any client.
		settle time.Duration
	}{
		{"forged response after a 20,000-byte body in the same write", "GET", "/big", upstreamAnswer{writes: []upstreamWrite{
			{0, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s%s", len(big), big, forged)}}}, 50 * time.Millisecond},
		{"forged response after a small body in the same write", "GET", "/small", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall" + forged}}}, 50 * time.Millisecond},
		{"forged response 150 ms after the answer", "GET", "/late", upstreamAnswer{writes: []upstreamWrite{
			honest("GET", "/late", 0), {150 * time.Millisecond, forged}}}, 250 * time.Millisecond},
		{"body 100 ms after a HEAD answer", "HEAD", "/head", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n"}, {100 * time.Millisecond, "<script>evil()</script>!!!\n"}}}, 200 * time.Millisecond},
		{"body with a HEAD answer in the same write", "HEAD", "/head", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n" + forged}}}, 50 * time.Millisecond},
		{"body on a 204", "GET", "/204", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 204 No Content\r\n\r\n" + forged}}}, 50 * time.Millisecond},
		{"body 100 ms after a 204 announcing it", "GET", "/204", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 204 No Content\r\nContent-Length: 98\r\n\r\n"}, {100 * time.Millisecond, forged}}}, 200 * time.Millisecond},
		{"body on a 304", "GET", "/304", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n" + forged}}}, 50 * time.Millisecond},
		{"two different Content-Lengths", "GET", "/cl", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc" + forged}}}, 50 * time.Millisecond},
		{"Content-Length shorter than the body", "GET", "/short", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef\r\n\r\n" + forged}}}, 50 * time.Millisecond},
		{"garbage between responses", "GET", "/garbage", upstreamAnswer{writes: []upstreamWrite{
			honest("GET", "/garbage", 0), {10 * time.Millisecond, "\x00\x01garbage\r\n\r\n"}}}, 100 * time.Millisecond},
		{"chunked body with a response after the last chunk", "GET", "/chunked", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + forged}}}, 50 * time.Millisecond},
		{"early close mid-body", "GET", "/early", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"}}, close: true}, 50 * time.Millisecond},
		{"reset mid-body", "GET", "/reset", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"}}, reset: true}, 50 * time.Millisecond},
		{"reset after the answer", "GET", "/reset-after", upstreamAnswer{writes: []upstreamWrite{
			honest("GET", "/reset-after", 0)}, reset: true}, 50 * time.Millisecond},
		{"slow body", "GET", "/slow", upstreamAnswer{writes: []upstreamWrite{
			{0, "HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\nyou asked"}, {50 * time.Millisecond, " for "}, {50 * time.Millisecond, "GET /slow"}}}, 0},
	}
	for _, tt := range tests {
		for _, client := range []string{"Client", "net/http"} {
			t.Run(tt.name+"/"+client, func(t *testing.T) {
				target := misbehavingUpstream(t, func(method, path string) (upstreamAnswer, bool) {
					return tt.answer, path == tt.path
				})
				var rt http.RoundTripper = NewClient([]*url.URL{target}, 5*time.Second)
				if client == "net/http" {
					rt = &http.Transport{DisableCompression: true}
				}
				defer rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
				// A connection in the pool first, to be reused.
				checkOwnAnswer(t, rt, target, "GET", "/warm", false)
				checkOwnAnswer(t, rt, target, tt.method, tt.path, true)
				time.Sleep(tt.settle)
				for _, next := range []struct{ method, path string }{{"GET", "/alice"}, {"GET", "/bob"}, {"POST", "/carol"}} {
					checkOwnAnswer(t, rt, target, next.method, next.path, false)
				}
			})
		}
	}
}

// checkOwnAnswer sends method path and fails t unless the answer is the
// honest one, or, for a misbehaving request (mayFail), an error or a body
// that mentions no other path.
func checkOwnAnswer(t *testing.T, rt http.RoundTripper, target *url.URL, method, path string, mayFail bool) {
	t.Helper()
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("payload")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := rt.RoundTrip(ucRequest(ctx, method, target, path, body))
	if err != nil {
		if !mayFail {
			t.Errorf("%s %s: %v", method, path, err)
		}
		return
	}
	got, err := readAsGateway(resp.Body)
	resp.Body.Close()
	if method == "HEAD" {
		got = ""
	}
	switch {
	case resp.Header.Get("X-Forged") != "" || strings.Contains(got, "evil()"):
		t.Errorf("%s %s got the forged response: %d %q", method, path, resp.StatusCode, got)
	case mayFail:
		if strings.Contains(got, "you asked for") && !strings.Contains(got, "you asked for "+method+" "+path) {
			t.Errorf("%s %s got another request's answer: %q", method, path, got)
		}
	case err != nil:
		t.Errorf("%s %s: reading the body: %v", method, path, err)
	case got != "you asked for "+method+" "+path:
		t.Errorf("%s %s got %d %q, want its own answer", method, path, resp.StatusCode, got)
	}
}

// readAsGateway reads r to its end with 32 KiB reads, as the gateway copies
// a body: reads that large go past the connection's buffer, straight to
// the socket, and leave what follows the body in the kernel.
func readAsGateway(r io.Reader) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		sb.Write(buf[:n])
		if err == io.EOF {
			return sb.String(), nil
		}
		if err != nil {
			return sb.String(), err
		}
	}
}

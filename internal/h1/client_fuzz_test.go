package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The bytes of a FuzzClientAgainstTransport script with a meaning of their
// own; every other byte is sent as it is.
const (
	scriptNextAnswer = 0xfe // ends the answer to one request
	scriptPause      = 0xfd // the upstream waits 2 ms before what follows
	scriptClose      = 0xfc // the upstream closes the connection here
	scriptID         = '$'  // replaced by the id of the request answered
)

const scriptRequests = 4

// FuzzClientAgainstTransport plays arbitrary upstream byte streams, split at
// arbitrary points in time, to Client and to net/http's Transport, with
// the same four requests in turn, and holds Client to two rules: no
// request ever gets bytes the upstream wrote for another (each request has
// an id the upstream echoes where the script says $, and no answer may hold
// another request's id), and each request ends as it does with a Transport
// that opens a new connection for every request: the same status, header
// and body, or an error with both. Client's pool must change no outcome.
// (A pooling Transport is no steady reference: its background read may not
// yet have seen bytes that reached an idle connection when the next
// request takes it.)
//
// The upstream answers request k with the script's k-th part, the next
// request is sent once the upstream wrote all of it and 3 ms have passed:
// bytes sent after a request is written are that request's answer to any
// HTTP/1.1 client, so only bytes sent before it can tell a safe client from
// an unsafe one.
func FuzzClientAgainstTransport(f *testing.F) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n$"
	seeds := []string{
		ok + "\xfe" + ok + "\xfe" + ok + "\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n$HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n$\xfe" + ok,
		ok + "\xfd\xfd\xfdHTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n$\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n\xfd\xfd$\xfe" + ok,
		"HTTP/1.1 204 No Content\r\n\r\n" + ok + "\xfe" + ok,
		"HTTP/1.1 204 No Content\r\nContent-Length: 40\r\n\r\n\xfd\xfd" + ok + "\xfe" + ok,
		"HTTP/1.1 304 Not Modified\r\n\r\n" + ok + "\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Length: 4\r\n\r\n$" + ok + "\xfe" + ok,
		ok + "\xfdgarbage\r\n\r\n\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n$\xfc\xfe" + ok,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n$\r\n0\r\n\r\n" + ok + "\xfe" + ok,
		"HTTP/1.1 100 Continue\r\n\r\n" + ok + "\xfe" + ok,
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n$\xfc\xfe" + ok,
		ok + "\xfc\xfe" + ok + "\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n$" + strings.Repeat("x", 9000) + ok + "\xfe" + ok,
		"HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n$" + strings.Repeat("x", 9000-16) + ok + "\xfe" + ok,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 32<<10 {
			return
		}
		if bytes.Count(script, []byte{scriptPause}) > 20 {
			// The pauses are what costs time: a few split a stream anywhere.
			return
		}
		answers := bytes.SplitN(script, []byte{scriptNextAnswer}, scriptRequests)
		for len(answers) < scriptRequests {
			// A script of fewer parts ends with well-behaved answers.
			answers = append(answers, []byte(ok))
		}
		ids := make([]string, scriptRequests)
		for k := range ids {
			ids[k] = nonce()
		}
		own := playScript(t, answers, ids, "Client")
		std := playScript(t, answers, ids, "net/http")
		for k := range scriptRequests {
			for j, id := range ids {
				if j != k && strings.Contains(own[k].String(), id) {
					t.Fatalf("request %d got the bytes of request %d: %s", k, j, own[k])
				}
			}
			if own[k] != std[k] {
				t.Errorf("request %d: Client gave %s, net/http's Transport %s", k, own[k], std[k])
			}
		}
	})
}

// scriptWait is how long a script's request waits for its response head,
// and twice that for its whole answer: long enough on a busy machine in
// an ordinary test run, short while fuzzing, where most streams are cut
// short and each wait costs executions.
func scriptWait() time.Duration {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return 100 * time.Millisecond
	}
	return 250 * time.Millisecond
}

// scriptOutcome is how one request ended.
type scriptOutcome struct {
	failed bool
	status int
	header string // the header lines that may carry an id
	body   string
}

func (o scriptOutcome) String() string {
	if o.failed {
		return "an error"
	}
	return fmt.Sprintf("%d %q %q", o.status, o.header, o.body)
}

func nonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// playScript sends the requests through client ("Client" or "net/http")
// to an upstream that answers request k with answers[k], ids[k] in place
// of each $.
func playScript(t *testing.T, answers [][]byte, ids []string, client string) []scriptOutcome {
	done := make([]chan struct{}, scriptRequests)
	for k := range done {
		done[k] = make(chan struct{})
	}
	var once [scriptRequests]sync.Once
	target, _ := rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			k, err := strconv.Atoi(req.Header.Get("X-Seq"))
			if err != nil || k < 0 || k >= scriptRequests {
				return
			}
			io.Copy(io.Discard, req.Body)
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			closed := playAnswer(conn, answers[k], ids[k])
			once[k].Do(func() { close(done[k]) })
			if closed {
				return
			}
		}
	})
	var rt http.RoundTripper
	if client == "Client" {
		c := NewClient([]*url.URL{target}, scriptWait())
		defer c.CloseIdleConnections()
		rt = c
	} else {
		// A new connection for every request: what each request gets
		// then is what it should get, whatever came before it.
		tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true, ResponseHeaderTimeout: scriptWait()}
		defer tr.CloseIdleConnections()
		rt = tr
	}
	out := make([]scriptOutcome, scriptRequests)
	for k := range scriptRequests {
		out[k] = scriptRequest(rt, target, k, ids[k])
		if out[k].failed {
			// The connection is closed: what else the upstream writes on
			// it reaches no request.
			continue
		}
		select {
		case <-done[k]:
		case <-time.After(scriptWait()):
		}
		time.Sleep(3 * time.Millisecond)
	}
	return out
}

// playAnswer writes one answer of a script and reports whether it closed
// the connection.
func playAnswer(conn net.Conn, answer []byte, id string) bool {
	var out []byte
	flush := func() bool {
		if len(out) == 0 {
			return true
		}
		_, err := conn.Write(out)
		out = out[:0]
		return err == nil
	}
	for _, b := range answer {
		switch b {
		case scriptPause:
			if !flush() {
				return true
			}
			time.Sleep(2 * time.Millisecond)
		case scriptClose:
			flush()
			return true
		case scriptID:
			out = append(out, id...)
		default:
			out = append(out, b)
		}
	}
	return !flush()
}

func scriptRequest(rt http.RoundTripper, target *url.URL, k int, id string) scriptOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), 2*scriptWait())
	defer cancel()
	req := ucRequest(ctx, "GET", target, "/"+id, nil)
	req.Header.Set("X-Seq", strconv.Itoa(k))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return scriptOutcome{failed: true}
	}
	defer resp.Body.Close()
	body, err := readAsGateway(resp.Body)
	if err != nil {
		return scriptOutcome{failed: true}
	}
	var header strings.Builder
	resp.Header.Write(&header)
	return scriptOutcome{status: resp.StatusCode, header: header.String(), body: body}
}

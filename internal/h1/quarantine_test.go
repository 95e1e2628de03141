package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// quarantineUpstream answers /ok honestly and every other path as
// answers says, on loopback; it counts the connections it accepts.
func quarantineUpstream(t *testing.T, answers map[string]upstreamAnswer) (*url.URL, *atomic.Int32) {
	return rawUpstream(t, func(conn net.Conn, n int) {
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			a, ok := answers[req.URL.Path]
			if !ok {
				a = upstreamAnswer{writes: []upstreamWrite{honest(req.Method, req.URL.Path, 0)}}
			}
			for _, w := range a.writes {
				time.Sleep(w.after)
				if _, err := io.WriteString(conn, w.data); err != nil {
					return
				}
			}
			if a.close {
				return
			}
		}
	})
}

// quarantineGet sends a GET for path through uc and reads its answer; it
// fails the test when an /ok answer is not that request's own.
func quarantineGet(t *testing.T, uc *Client, target *url.URL, path string) {
	t.Helper()
	resp, err := uc.RoundTrip(ucRequest(context.Background(), "GET", target, path, nil))
	if err != nil {
		if path == "/ok" {
			t.Fatalf("GET %s: %v", path, err)
		}
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "you asked for GET " + path; path == "/ok" && (err != nil || string(b) != want) {
		t.Fatalf("GET %s: got %q, %v; want %q", path, b, err, want)
	}
}

func TestUpstreamClientQuarantine(t *testing.T) {
	const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name   string
		first  upstreamAnswer // the answer to the first request, GET /first
		settle time.Duration  // wait after the first request
		// connections the upstream accepts for the first request and 5
		// GET /ok after it, and whether a quarantine started
		wantConns  int32
		quarantine bool
	}{
		{"well-behaved", upstreamAnswer{writes: []upstreamWrite{{0, okAnswer}}}, 0, 1, false},
		{"plain close is no sign", upstreamAnswer{writes: []upstreamWrite{{0, okAnswer}}, close: true}, 20 * time.Millisecond, 2, false},
		{"stray in the same write", upstreamAnswer{writes: []upstreamWrite{{0, okAnswer + forged}}}, 20 * time.Millisecond, 6, true},
		{"stray after a silence", upstreamAnswer{writes: []upstreamWrite{{0, okAnswer}, {30 * time.Millisecond, forged}}}, 80 * time.Millisecond, 6, true},
		{"body announced on a 204", upstreamAnswer{writes: []upstreamWrite{{0, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nabcde"}}}, 20 * time.Millisecond, 6, true},
		{"two Content-Lengths", upstreamAnswer{writes: []upstreamWrite{{0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"}}}, 20 * time.Millisecond, 6, true},
		{"garbage where a head should be", upstreamAnswer{writes: []upstreamWrite{{0, "\x00\x01garbage\r\n\r\n"}}}, 20 * time.Millisecond, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, accepted := quarantineUpstream(t, map[string]upstreamAnswer{"/first": tt.first})
			var logged bytes.Buffer
			uc := NewClient([]*url.URL{target}, 5*time.Second)
			uc.Log = slog.New(slog.NewTextHandler(&logged, nil))
			defer uc.CloseIdleConnections()

			quarantineGet(t, uc, target, "/first")
			time.Sleep(tt.settle)
			for range 5 {
				quarantineGet(t, uc, target, "/ok")
			}
			if n := accepted.Load(); n != tt.wantConns {
				t.Errorf("6 requests used %d connections, want %d", n, tt.wantConns)
			}
			want, warnings := int64(0), 0
			if tt.quarantine {
				want, warnings = 1, 1
			}
			if n := uc.Quarantines(); n != want {
				t.Errorf("Quarantines() = %d, want %d", n, want)
			}
			if n := strings.Count(logged.String(), "level=WARN"); n != warnings {
				t.Errorf("%d warnings logged, want %d:\n%s", n, warnings, logged.String())
			}
		})
	}
}

func TestUpstreamClientQuarantineEnds(t *testing.T) {
	const period = 300 * time.Millisecond
	target, accepted := quarantineUpstream(t, map[string]upstreamAnswer{
		"/stray": {writes: []upstreamWrite{{0, honest("GET", "/stray", 0).data + forged}}},
	})
	uc := NewClient([]*url.URL{target}, 5*time.Second)
	uc.Quarantine = period
	defer uc.CloseIdleConnections()

	steps := []struct {
		name      string
		path      string
		sleep     time.Duration // before the request
		wantConns int32         // accepted after it
	}{
		{"first", "/ok", 0, 1},
		{"reused", "/ok", 0, 1},
		{"stray", "/stray", 0, 1},
		{"in quarantine: new connection", "/ok", 0, 2},
		{"in quarantine: new connection again", "/ok", 0, 3},
		{"after the period: new connection, kept", "/ok", period + 100*time.Millisecond, 4},
		{"after the period: reused", "/ok", 0, 4},
		{"after the period: reused again", "/ok", 0, 4},
	}
	for _, s := range steps {
		time.Sleep(s.sleep)
		quarantineGet(t, uc, target, s.path)
		if n := accepted.Load(); n != s.wantConns {
			t.Errorf("%s: %d connections accepted, want %d", s.name, n, s.wantConns)
		}
	}
	if n := uc.Quarantines(); n != 1 {
		t.Errorf("Quarantines() = %d, want 1", n)
	}
}

func TestUpstreamClientKeepQuarantines(t *testing.T) {
	target, accepted := quarantineUpstream(t, map[string]upstreamAnswer{
		"/stray": {writes: []upstreamWrite{{0, honest("GET", "/stray", 0).data + forged}}},
	})
	other, otherAccepted := quarantineUpstream(t, nil)
	prev := NewClient([]*url.URL{target, other}, 5*time.Second)
	defer prev.CloseIdleConnections()
	quarantineGet(t, prev, target, "/stray")

	// A client for a new config keeps the quarantine of the target, not
	// of the other, and shares the count.
	uc := NewClient([]*url.URL{target, other}, 5*time.Second)
	uc.KeepQuarantines(prev)
	defer uc.CloseIdleConnections()
	tests := []struct {
		target   *url.URL
		accepted *atomic.Int32
		want     int32 // connections for 3 requests
	}{
		{target, accepted, 1 + 3},
		{other, otherAccepted, 1},
	}
	for _, tt := range tests {
		for range 3 {
			quarantineGet(t, uc, tt.target, "/ok")
		}
		if n := tt.accepted.Load(); n != tt.want {
			t.Errorf("%s: %d connections accepted, want %d", tt.target.Host, n, tt.want)
		}
	}
	if n := uc.Quarantines(); n != 1 {
		t.Errorf("Quarantines() = %d, want 1", n)
	}
}

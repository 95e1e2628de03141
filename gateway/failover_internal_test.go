package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/crossgate/crossgate/internal/h1"
	"github.com/crossgate/crossgate/internal/loopback"
)

// TestResendBody: each attempt reads the whole body, the kept bytes first;
// a body read past the limit, or one the client failed to send, cannot be
// sent again; an attempt that is over reads nothing more.
func TestResendBody(t *testing.T) {
	const text = "0123456789abcdefghij"
	tests := []struct {
		name       string
		src        io.Reader
		limit      int
		firstReads int // bytes the first attempt reads before the rewind
		wantRewind bool
		wantFailed bool
	}{
		{"nothing read", strings.NewReader(text), 0, 0, true, false},
		{"read within the limit", strings.NewReader(text), 64, 7, true, false},
		{"read whole within the limit", strings.NewReader(text), 64, len(text), true, false},
		{"read up to the limit", strings.NewReader(text), 7, 7, true, false},
		{"read past the limit", strings.NewReader(text), 6, 7, false, false},
		{"no limit, one byte read", strings.NewReader(text), 0, 1, false, false},
		{"the client's body failed", io.MultiReader(strings.NewReader("0123"), iotest.ErrReader(errors.New("client reset"))), 64, 7, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &resendBody{src: io.NopCloser(tt.src), limit: tt.limit}
			first := b.rewind()
			got := make([]byte, 0, tt.firstReads)
			for len(got) < tt.firstReads {
				p := make([]byte, min(3, tt.firstReads-len(got)))
				n, err := first.Read(p)
				got = append(got, p[:n]...)
				if err != nil {
					break
				}
			}
			if b.failed() != tt.wantFailed {
				t.Errorf("failed() = %v, want %v", b.failed(), tt.wantFailed)
			}
			second := b.rewind()
			if (second != nil) != tt.wantRewind {
				t.Fatalf("rewind() = %v, want a reader: %v", second, tt.wantRewind)
			}
			if second == nil {
				return
			}
			if n, err := first.Read(make([]byte, 4)); n != 0 || !errors.Is(err, errAttemptOver) {
				t.Errorf("the first attempt read %d, %v after the rewind; want 0, errAttemptOver", n, err)
			}
			all, err := io.ReadAll(second)
			if err != nil || string(all) != text {
				t.Errorf("the second attempt read %q, %v; want %q", all, err, text)
			}
			if third := b.rewind(); tt.limit >= len(text) {
				if all, _ := io.ReadAll(third); string(all) != text {
					t.Errorf("the third attempt read %q, want %q", all, text)
				}
			} else if third != nil {
				t.Error("a body read past the limit was rewound")
			}
		})
	}
}

// TestFailureClasses: what the failover rules see in an upstream error.
func TestFailureClasses(t *testing.T) {
	refused := loopback.RefusedAddr(t)
	_, dialErr := net.DialTimeout("tcp", refused, time.Second)
	if dialErr == nil {
		t.Fatal("dial succeeded")
	}
	client := h1.NewClient(nil, 200*time.Millisecond)
	req, _ := http.NewRequest("GET", "http://"+refused+"/", nil)
	_, clientDialErr := client.RoundTrip(req)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	req, _ = http.NewRequest("GET", "http://"+silent.Addr().String()+"/", nil)
	_, headTimeout := client.RoundTrip(req)
	transport := &http.Transport{}
	req, _ = http.NewRequest("GET", "https://"+refused+"/", nil)
	_, transportDialErr := transport.RoundTrip(req)
	tests := []struct {
		name                string
		err                 error
		notSent, unanswered bool
		clientFault         bool
		wantStatus          int
	}{
		{"a refused dial", dialErr, true, true, false, 502},
		{"the own client's refused dial", clientDialErr, true, true, false, 502},
		{"net/http's refused dial", transportDialErr, true, true, false, 502},
		{"a close before the answer", fmt.Errorf("upstream x: %w", io.EOF), false, true, false, 502},
		{"a head cut short", fmt.Errorf("upstream x: malformed response: %w", io.ErrUnexpectedEOF), false, true, false, 502},
		{"a head timeout", headTimeout, false, true, false, 504},
		{"a retry out of time", outOfTime{}, false, true, false, 504},
		{"a malformed answer", errors.New(`upstream x: malformed response: malformed HTTP status code "abc"`), false, false, false, 502},
		{"a body over the route's limit", &http.MaxBytesError{Limit: 10}, false, false, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notSent(tt.err); got != tt.notSent {
				t.Errorf("notSent = %v, want %v", got, tt.notSent)
			}
			if got := unanswered(tt.err); got != tt.unanswered {
				t.Errorf("unanswered = %v, want %v", got, tt.unanswered)
			}
			if got := clientFault(tt.err, nil); got != tt.clientFault {
				t.Errorf("clientFault = %v, want %v", got, tt.clientFault)
			}
			if got := upstreamStatus(tt.err); got != tt.wantStatus {
				t.Errorf("upstreamStatus = %d, want %d", got, tt.wantStatus)
			}
		})
	}
}

// TestPassiveHealth: max_fails failures within fail_timeout leave a target
// out for fail_timeout; a target that fails again once back is out again at
// once; an answer clears everything.
func TestPassiveHealth(t *testing.T) {
	h := &targetHealth{}
	up := func() bool { var now int64; return h.up(&now) }
	fail := func() { h.failed(errors.New("refused"), 2, 500*time.Millisecond) }
	fail()
	if !up() {
		t.Fatal("out after one failure of two")
	}
	fail()
	if up() {
		t.Fatal("still in after two failures")
	}
	time.Sleep(550 * time.Millisecond)
	if !up() {
		t.Fatal("still out after fail_timeout")
	}
	fail()
	if up() {
		t.Fatal("back after fail_timeout, failed again, and still in")
	}
	h.succeeded()
	if !up() {
		t.Fatal("out after an answer")
	}
	fail()
	if !up() {
		t.Fatal("out after one failure of two following an answer")
	}
	h.failed(errors.New("refused"), 0, time.Minute)
	h.failed(errors.New("refused"), 0, time.Minute)
	if !up() {
		t.Fatal("max_fails 0 counted failures")
	}
}

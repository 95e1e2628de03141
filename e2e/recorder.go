package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// maxRecorded bounds the requests a Recorder keeps, so that a test that loops
// cannot grow it without limit; counts stay exact beyond it.
const maxRecorded = 10000

// A RecordedRequest is what a Recorder saw of one request.
type RecordedRequest struct {
	Method string
	Path   string
	Header http.Header
}

// A Recorder is an http.Handler that notes every request before passing it to
// Handler. The server side is the reliable witness of what the browser sent:
// Count("OPTIONS", "/items") tells whether a preflight went out, and
// Requests shows the headers (Origin, Access-Control-Request-*) it carried.
// A Recorder is safe for concurrent use.
type Recorder struct {
	// Handler answers the requests; nil answers 200 with an empty body.
	Handler http.Handler

	mu       sync.Mutex
	requests []RecordedRequest
	counts   map[[2]string]int
	// changed is closed and replaced on every request, so that Wait can
	// block until the next one.
	changed chan struct{}
}

// NewRecorder returns a Recorder in front of h.
func NewRecorder(h http.Handler) *Recorder {
	return &Recorder{Handler: h}
}

// ServeHTTP records r and serves it with r.Handler.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	if rec.counts == nil {
		rec.counts = make(map[[2]string]int)
	}
	rec.counts[[2]string{r.Method, r.URL.Path}]++
	if len(rec.requests) < maxRecorded {
		rec.requests = append(rec.requests, RecordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	}
	if rec.changed != nil {
		close(rec.changed)
		rec.changed = nil
	}
	rec.mu.Unlock()
	if rec.Handler != nil {
		rec.Handler.ServeHTTP(w, r)
	}
}

// Count reports how many requests with method and path the recorder has seen.
// An empty method or path matches any.
func (rec *Recorder) Count(method, path string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.countLocked(method, path)
}

func (rec *Recorder) countLocked(method, path string) int {
	n := 0
	for k, c := range rec.counts {
		if (method == "" || k[0] == method) && (path == "" || k[1] == path) {
			n += c
		}
	}
	return n
}

// Wait blocks until the recorder has seen at least n requests with method
// and path (as Count matches them), or ctx ends. It is for requests a page
// sends after the script that caused them has returned, such as a form
// submission.
func (rec *Recorder) Wait(ctx context.Context, method, path string, n int) error {
	for {
		rec.mu.Lock()
		got := rec.countLocked(method, path)
		if got >= n {
			rec.mu.Unlock()
			return nil
		}
		if rec.changed == nil {
			rec.changed = make(chan struct{})
		}
		changed := rec.changed
		rec.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("e2e: saw %d of %d %s %s requests: %w", got, n, method, path, ctx.Err())
		}
	}
}

// Requests returns the recorded requests in arrival order, at most the first
// 10000.
func (rec *Recorder) Requests() []RecordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]RecordedRequest, len(rec.requests))
	copy(out, rec.requests)
	return out
}

// Reset forgets every recorded request.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = nil
	rec.counts = nil
}

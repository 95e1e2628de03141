package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
)

// settleTimeout bounds how long a call waits, after its script finished, for
// the DevTools events that describe it. The network service reports some of
// them (preflights, CORS failures) after the script has seen the outcome.
const settleTimeout = 2 * time.Second

// settleQuiet is how long a call that looks complete still waits for a
// late event: the network service can report the preflight of a request
// that succeeded after that request's own events, and nothing in those
// says that a preflight is still to come.
const settleQuiet = 50 * time.Millisecond

// A Trace is what DevTools saw while a script ran: the network requests and
// the console messages, in arrival order.
type Trace struct {
	Requests []Request
	Console  []ConsoleMessage
}

// A Request is one network request as DevTools reports it. Preflights are
// requests of their own, with Preflight set.
type Request struct {
	// ID is the DevTools request id.
	ID string
	// Method and URL are those of the first hop; FinalURL is the URL after
	// redirects.
	Method   string
	URL      string
	FinalURL string
	// Type is the DevTools resource type: "Fetch", "XHR", "Document",
	// "Preflight", ...
	Type string
	// Preflight reports whether this is a CORS preflight request.
	Preflight bool
	// PreflightFor is, for a preflight, the id of the request it guards,
	// when DevTools names it.
	PreflightFor string
	// Status is the status of the last response, 0 when none arrived.
	Status int
	// Header holds the response headers as received from the network, before
	// any CORS filtering, so a test can see what the server sent even when the
	// browser blocked it.
	Header http.Header
	// Done reports whether the request finished or failed, or its frame
	// moved to another renderer process (a cross-site frame under site
	// isolation), which reports the rest of the request to its own DevTools
	// target: Status and Header are then final, the end is not recorded.
	Done bool
	// ErrorText is the network error, for example "net::ERR_FAILED".
	ErrorText string
	// CorsError is the DevTools CORS error code, for example
	// "MissingAllowOriginHeader" or "PreflightInvalidStatus", and
	// CorsErrorParameter the value it is about (a header or method name).
	CorsError          string
	CorsErrorParameter string

	// frame is the DevTools id of the frame that made the request.
	frame cdp.FrameID
}

// A ConsoleMessage is one entry of the browser console: a browser log entry
// such as a CORS error, a console.* call of a script, or an uncaught
// exception.
type ConsoleMessage struct {
	// Source is the log entry source ("network", "javascript", "security",
	// ...), "console-api" for console.* calls or "exception".
	Source string
	// Level is "error", "warning", "info", "verbose", or the console.*
	// method name.
	Level string
	Text  string
	// RequestID ties a network message to Trace.Requests.
	RequestID string
}

// Blocked reports the first console message that says a request was blocked
// by CORS policy, and whether there is one.
func (t Trace) Blocked() (ConsoleMessage, bool) {
	for _, m := range t.Console {
		if strings.Contains(m.Text, "has been blocked by CORS policy") {
			return m, true
		}
	}
	return ConsoleMessage{}, false
}

// Preflights returns the preflight requests of the trace.
func (t Trace) Preflights() []Request {
	var out []Request
	for _, r := range t.Requests {
		if r.Preflight {
			out = append(out, r)
		}
	}
	return out
}

// recorder collects the DevTools events of one tab. The tab runs one call at
// a time, and each call is a window: begin clears the record, the events of
// the call accumulate, and settle waits for the stragglers.
type recorder struct {
	mu       sync.Mutex
	active   bool
	requests []*Request
	byID     map[string]*Request
	console  []ConsoleMessage
	// changed is closed and replaced on every recorded event, so that
	// settle can wait for the next one.
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{})}
}

func (r *recorder) begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = true
	r.requests = nil
	r.byID = make(map[string]*Request)
	r.console = nil
}

// end stops recording and returns what was recorded.
func (r *recorder) end() Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = false
	return r.snapshotLocked()
}

// CorsOutcome summarises the trace of one fetch: whether the browser sent a
// preflight, and the DevTools CorsError (and its parameter) of the first
// request that failed a CORS check. DevTools reports a failed preflight on
// the request it guards.
func (t Trace) CorsOutcome() (preflighted bool, corsError, parameter string) {
	for _, r := range t.Requests {
		if r.Preflight {
			preflighted = true
		}
		if r.CorsError != "" && corsError == "" {
			corsError, parameter = r.CorsError, r.CorsErrorParameter
		}
	}
	return preflighted, corsError, parameter
}

func (r *recorder) snapshotLocked() Trace {
	t := Trace{Console: append([]ConsoleMessage(nil), r.console...)}
	for _, q := range r.requests {
		if q.PreflightFor != "" && r.byID[q.PreflightFor] == nil {
			// DevTools can report a preflight after the fetch it guarded
			// has settled: it belongs to an earlier call, not this one.
			continue
		}
		t.Requests = append(t.Requests, *q)
	}
	return t
}

// handle is the tab's event listener. It runs on the tab's reader goroutine,
// so it only copies what it needs under the lock.
func (r *recorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active {
		return
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		id := string(e.RequestID)
		if q, ok := r.byID[id]; ok {
			// A redirect reuses the request id.
			q.FinalURL = e.Request.URL
			if e.RedirectResponse != nil {
				q.Status = int(e.RedirectResponse.Status)
				q.Header = headers(e.RedirectResponse.Headers)
			}
			break
		}
		q := &Request{
			ID:        id,
			Method:    e.Request.Method,
			URL:       e.Request.URL,
			FinalURL:  e.Request.URL,
			Type:      string(e.Type),
			Preflight: e.Type == network.ResourceTypePreflight || (e.Initiator != nil && e.Initiator.Type == network.InitiatorTypePreflight),
			frame:     e.FrameID,
		}
		if q.Preflight && e.Initiator != nil {
			q.PreflightFor = string(e.Initiator.RequestID)
		}
		r.requests = append(r.requests, q)
		r.byID[id] = q
	case *network.EventResponseReceived:
		if q, ok := r.byID[string(e.RequestID)]; ok && e.Response != nil {
			q.Status = int(e.Response.Status)
			q.Header = headers(e.Response.Headers)
		}
	case *network.EventLoadingFinished:
		if q, ok := r.byID[string(e.RequestID)]; ok {
			q.Done = true
		}
	case *network.EventLoadingFailed:
		if q, ok := r.byID[string(e.RequestID)]; ok {
			q.Done = true
			q.ErrorText = e.ErrorText
			if e.CorsErrorStatus != nil {
				q.CorsError = string(e.CorsErrorStatus.CorsError)
				q.CorsErrorParameter = e.CorsErrorStatus.FailedParameter
			}
		}
	case *page.EventFrameDetached:
		// A frame that navigates to another site moves to a renderer process
		// of its own, after the response to the navigation arrived: the
		// frame's own target reports the rest, which this tab never sees.
		if e.Reason != page.FrameDetachedReasonSwap {
			return
		}
		for _, q := range r.requests {
			if q.frame == e.FrameID {
				q.Done = true
			}
		}
	case *log.EventEntryAdded:
		if e.Entry == nil {
			return
		}
		r.console = append(r.console, ConsoleMessage{
			Source:    string(e.Entry.Source),
			Level:     string(e.Entry.Level),
			Text:      e.Entry.Text,
			RequestID: string(e.Entry.NetworkRequestID),
		})
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, remoteText(a))
		}
		r.console = append(r.console, ConsoleMessage{Source: "console-api", Level: string(e.Type), Text: strings.Join(parts, " ")})
	case *runtime.EventExceptionThrown:
		if d := e.ExceptionDetails; d != nil {
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			r.console = append(r.console, ConsoleMessage{Source: "exception", Level: "error", Text: text})
		}
	default:
		return
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// settle waits until every recorded request is done and every request that
// failed a CORS check has its console message, or until settleTimeout. It
// returns early, without error, when ctx ends: the trace is then as complete
// as it got.
func (r *recorder) settle(ctx context.Context) {
	timer := time.NewTimer(settleTimeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		done, changed := r.settledLocked(), r.changed
		r.mu.Unlock()
		var quiet <-chan time.Time
		if done {
			quiet = time.After(settleQuiet)
		}
		select {
		case <-changed:
		case <-quiet:
			return
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (r *recorder) settledLocked() bool {
	preflights := 0
	for _, q := range r.requests {
		if q.Preflight && q.Done {
			preflights++
		}
	}
	for _, q := range r.requests {
		if !q.Done {
			return false
		}
		if q.CorsError == "" {
			continue
		}
		// A request that failed on its preflight is reported before the
		// preflight's own events may have arrived.
		if strings.Contains(q.CorsError, "Preflight") && preflights == 0 {
			return false
		}
		logged := false
		for _, m := range r.console {
			if m.RequestID == q.ID || (m.RequestID == "" && strings.Contains(m.Text, "blocked by CORS policy")) {
				logged = true
				break
			}
		}
		if !logged {
			return false
		}
	}
	return true
}

func headers(h network.Headers) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		// DevTools joins repeated headers with newlines.
		for line := range strings.SplitSeq(fmt.Sprint(v), "\n") {
			out.Add(k, line)
		}
	}
	return out
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if err := json.Unmarshal(o.Value, &s); err == nil {
			return s
		}
		return string(o.Value)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Type)
}

package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/crossgate/crossgate/internal/h1"
)

// maxResendBody bounds the request body the gateway keeps so that it can
// send an idempotent request again to another target. A larger body streams
// through unkept, and its request is not retried once a byte of it is sent.
const maxResendBody = 64 << 10

// send sends out to a target of rt's upstream and, when that fails before
// an answer, to the next ones, by these rules (nginx's proxy_next_upstream
// error timeout, with proxy_next_upstream_tries 1 + retries):
//
//   - A request that reached no target (notSent) goes to the next target
//     whatever its method: nothing can happen twice.
//   - A request that may have reached the target and failed before its
//     answer (a reset, a close, a timeout) goes to the next target only if
//     it is idempotent and its body, if any, can be sent again, at most
//     retries times.
//   - Each target is tried at most once, targets that are up first, and
//     no new attempt starts once the upstream's timeout has passed since
//     start; an attempt after the first is cut off when it runs out.
//
// Every failure that is not the client's doing counts against its target's
// passive health; an answer, whatever its status, clears it.
//
// out is the request to send, with the incoming request's URL, which send
// points at each target in turn.
func (g *Gateway) send(out *http.Request, rt *route, start time.Time) (*http.Response, error) {
	u := rt.upstream
	first := u.pick()
	t := u.targets[first]
	in := out.URL
	out.URL = targetURL(in, rt, t.url)
	var body *resendBody
	if out.Body != nil {
		limit := 0
		if u.retries > 0 && len(u.targets) > 1 && idempotent(out) {
			limit = maxResendBody
		}
		body = &resendBody{src: out.Body, limit: limit}
		out.Body = body.rewind()
	}
	resp, err := u.client.RoundTrip(out)
	if err == nil {
		t.health.succeeded()
		return resp, nil
	}
	var tried []bool
	retries := u.retries
	for {
		if out.Context().Err() != nil || clientFault(err, body) {
			return nil, err
		}
		t.health.failed(err, u.maxFails, u.failTimeout)
		if tried == nil {
			tried = make([]bool, len(u.targets))
			tried[first] = true
		}
		next := u.untried(first, tried)
		if next < 0 {
			return nil, err
		}
		sent := !notSent(err)
		if sent && (retries <= 0 || !idempotent(out) || !unanswered(err)) {
			return nil, err
		}
		left := u.timeout - time.Since(start)
		if left <= 0 {
			return nil, err
		}
		var resent io.ReadCloser
		if body != nil {
			if resent = body.rewind(); resent == nil {
				return nil, err
			}
		}
		reason := "not_sent"
		if sent {
			retries--
			reason = "unanswered"
		}
		g.metrics.retry(u.id, reason)
		g.log.Warn("upstream target failed; trying the next", "upstream", u.id, "target", t.name, "error", err.Error(), "next", u.targets[next].name)
		tried[next] = true
		t = u.targets[next]
		retry := out.WithContext(out.Context())
		retry.URL = targetURL(in, rt, t.url)
		if body != nil {
			retry.Body = resent
		}
		resp, err = attempt(u.client, retry, left)
		if err == nil {
			t.health.succeeded()
			return resp, nil
		}
		out = retry
	}
}

// untried returns the next target after first, in turn, that this request
// has not tried, one that is up if there is one; -1 when every target has
// been tried.
func (u *upstream) untried(first int, tried []bool) int {
	var now int64
	down := -1
	for i := 1; i < len(u.targets); i++ {
		j := (first + i) % len(u.targets)
		switch {
		case tried[j]:
		case u.targets[j].health.up(&now):
			return j
		case down < 0:
			down = j
		}
	}
	return down
}

// errOutOfTime ends an attempt that ran past what was left of the
// upstream's timeout.
var errOutOfTime = errors.New("upstream timed out: the retry ran out of the upstream's timeout")

// outOfTime is the error of such an attempt: a timeout, answered with 504.
type outOfTime struct{}

func (outOfTime) Error() string   { return errOutOfTime.Error() }
func (outOfTime) Timeout() bool   { return true }
func (outOfTime) Temporary() bool { return true }
func (outOfTime) Unwrap() error   { return errOutOfTime }

// attempt sends req, bounded by left until its response head: a timer, not
// a deadline on the context, so that the body may then take as long as it
// takes.
func attempt(rt http.RoundTripper, req *http.Request, left time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(left, func() { cancel(errOutOfTime) })
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() && errors.Is(context.Cause(ctx), errOutOfTime) && req.Context().Err() == nil {
		if err == nil {
			resp.Body.Close()
		}
		cancel(nil)
		return nil, outOfTime{}
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

// cancelOnClose releases a retried exchange's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// idempotent reports whether sending r twice does no more than sending it
// once (RFC 9110, 9.2.2), or the client says so with an Idempotency-Key,
// as nginx's proxy_next_upstream (without non_idempotent) and net/http's
// Transport decide. A POST or PATCH is never sent twice, body or not.
func idempotent(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, key := r.Header["Idempotency-Key"]
	_, xkey := r.Header["X-Idempotency-Key"]
	return key || xkey
}

// notSent reports whether err says that no byte of the request reached the
// upstream, so that another target may have it whatever its method: the
// own client says so (h1.ErrNotSent); net/http's Transport (https://
// targets) fails so when the connection could not be made (refused,
// unreachable, timed out) or its TLS handshake failed.
func notSent(err error) bool {
	if errors.Is(err, h1.ErrNotSent) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var record tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var alert tls.AlertError
	return errors.As(err, &record) || errors.As(err, &verify) || errors.As(err, &alert)
}

// unanswered reports whether err is a failure before the upstream's
// answer: a reset, a close or a timeout (nginx's error and timeout). A
// malformed answer (nginx's invalid_header, off by default) is not
// retried: the upstream did answer.
func unanswered(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// clientFault reports whether err is the client's doing, which says
// nothing of the target: a body over the route's limit, or a body the
// client failed to send.
func clientFault(err error, body *resendBody) bool {
	var tooLarge *http.MaxBytesError
	return errors.As(err, &tooLarge) || body.failed()
}

// resendBody lets a request body be sent again to another target: it keeps
// the bytes read so far, up to limit, and each attempt reads them again
// before reading on from the client. Once more than limit bytes have been
// read, only the attempt that read them can go on. An attempt that is no
// longer the current one reads nothing more, so that a transport still
// reading the body of a failed attempt takes nothing from the next.
type resendBody struct {
	src   io.ReadCloser
	limit int

	srcMu sync.Mutex // held while reading src

	mu      sync.Mutex
	kept    []byte
	read    int   // bytes read from src
	srcErr  error // src's first error; io.EOF at its end
	current *bodyAttempt
}

// rewind returns a reader of the whole body for a new attempt, or nil when
// the body cannot be sent again.
func (b *resendBody) rewind() io.ReadCloser {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.read > b.limit || (b.srcErr != nil && b.srcErr != io.EOF) {
		return nil
	}
	b.current = &bodyAttempt{b: b}
	return b.current
}

// failed reports whether reading the client's body failed.
func (b *resendBody) failed() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.srcErr != nil && b.srcErr != io.EOF
}

var errAttemptOver = errors.New("request body: the attempt is over")

type bodyAttempt struct {
	b   *resendBody
	off int // bytes of kept this attempt has read
}

func (a *bodyAttempt) Read(p []byte) (int, error) {
	b := a.b
	for {
		b.mu.Lock()
		switch {
		case b.current != a:
			b.mu.Unlock()
			return 0, errAttemptOver
		case b.read <= b.limit && a.off < len(b.kept):
			n := copy(p, b.kept[a.off:])
			a.off += n
			b.mu.Unlock()
			return n, nil
		case b.srcErr != nil:
			err := b.srcErr
			b.mu.Unlock()
			return 0, err
		}
		b.mu.Unlock()

		b.srcMu.Lock()
		b.mu.Lock()
		// Another attempt may have read on from src while this one waited.
		behind := b.current != a || (b.read <= b.limit && a.off < len(b.kept)) || b.srcErr != nil
		b.mu.Unlock()
		if behind {
			b.srcMu.Unlock()
			continue
		}
		n, err := b.src.Read(p)
		b.mu.Lock()
		b.read += n
		if b.read <= b.limit {
			b.kept = append(b.kept, p[:n]...)
			a.off += n
		} else {
			b.kept = nil
		}
		if err != nil {
			b.srcErr = err
		}
		b.mu.Unlock()
		b.srcMu.Unlock()
		return n, err
	}
}

// Close leaves the client's body open: another attempt may read it, and
// the server closes it when the request ends.
func (a *bodyAttempt) Close() error { return nil }

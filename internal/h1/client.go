package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/internal/fetch"
)

// The limits of the upstream connection pools: those the gateway gave
// net/http's Transport, sized for many connections to few hosts.
const (
	upstreamDialTimeout      = 5 * time.Second
	upstreamKeepAlive        = 30 * time.Second
	upstreamIdleTimeout      = 90 * time.Second
	upstreamMaxIdlePerHost   = 256
	upstreamMaxIdle          = 1024
	upstreamContinueTimeout  = time.Second
	upstreamMaxHeadBytes     = 10 << 20 // net/http's Transport default
	upstreamMaxInformational = 5        // 1xx answers before the final one
	upstreamBufferSize       = 4 << 10
)

// QuarantinePeriod is how long a target that has sent bytes beyond its
// responses' framing gets no connection reuse: each of its connections is
// closed after its exchange, as nginx does without keepalive. Such bytes
// (a stray on an idle connection, bytes after an exactly framed response,
// a body announced on a 204 or 304, garbage or two Content-Lengths where a
// head should be) show that the target may write a stray response at any
// time, and a stray that arrives at the moment a reused connection is
// handed a request is, to any HTTP/1.1 client, that request's answer. A
// fresh connection has no earlier exchange whose bytes it could carry.
// Each new sign renews the period.
const QuarantinePeriod = 10 * time.Minute

// Client is the http.RoundTripper of the gateway's http:// upstreams.
// It does the whole exchange on the caller's goroutine: take an idle
// keep-alive connection (or dial one), write the request, read the response
// head with http.ReadResponse. The body streams from the connection, which
// goes back to the pool once the body has been read to its end. net/http's
// Transport runs a reader and a writer goroutine per connection and passes
// every request and response between them; on a gateway that hand-off cost
// more CPU than the exchange's system calls.
//
// It speaks HTTP/1.1 only and never upgrades a connection: https:// targets
// and WebSocket upgrades go through net/http's Transport. It sends headers
// as given: no Accept-Encoding of its own, no transparent decompression, no
// User-Agent unless the request has a non-empty one.
type Client struct {
	dialer          net.Dialer
	headerTimeout   time.Duration // waiting for a response head; 0: no limit
	continueTimeout time.Duration // waiting for 100 Continue before sending a body anyway
	idleTimeout     time.Duration
	maxIdlePerHost  int
	maxIdle         int64

	// targets holds the pools of the upstream's own hosts. It is read-only
	// once built, so that the common lookup takes no lock.
	targets map[string]*hostPool
	mu      sync.Mutex
	others  map[string]*hostPool // hosts outside targets, made on first use

	idle atomic.Int64 // idle connections over all hosts
	// closeIdle closes connections as their exchanges end instead of
	// pooling them: set by CloseIdleConnections, cleared by the next
	// request, as net/http's Transport does.
	closeIdle atomic.Bool
	chunkBufs sync.Pool // *[]byte for copying bodies of unknown length

	// Log, when set before the first request, receives a warning when a
	// target's quarantine starts; nil: none.
	Log *slog.Logger
	// Quarantine is how long a target that sent bytes beyond its
	// framing gets no connection reuse: QuarantinePeriod unless changed
	// before the first request.
	Quarantine  time.Duration
	quarantines *atomic.Int64 // quarantines started; shared by KeepQuarantines
}

// Quarantines returns how many quarantines of a target have started: each
// is a target that sent bytes beyond its responses' framing after a period
// without such signs (see QuarantinePeriod).
func (u *Client) Quarantines() int64 { return u.quarantines.Load() }

// KeepQuarantines makes u share prev's quarantines, of the targets both
// clients have, and its count: a client built for a new config keeps
// avoiding reuse of the connections of a target the client of the config
// before it caught sending bytes beyond its framing, and a sign seen by
// either client counts for both. Call it before u's first request.
func (u *Client) KeepQuarantines(prev *Client) {
	u.quarantines = prev.quarantines
	for host, p := range u.targets {
		if q := prev.targets[host]; q != nil {
			p.quarantinedUntil = q.quarantinedUntil
		}
	}
}

// NewClient returns a client with pools ready for targets. timeout
// bounds the wait for each response head (0: no limit).
func NewClient(targets []*url.URL, timeout time.Duration) *Client {
	u := &Client{
		dialer:          net.Dialer{Timeout: upstreamDialTimeout, KeepAlive: upstreamKeepAlive},
		headerTimeout:   timeout,
		continueTimeout: upstreamContinueTimeout,
		idleTimeout:     upstreamIdleTimeout,
		maxIdlePerHost:  upstreamMaxIdlePerHost,
		maxIdle:         upstreamMaxIdle,
		Quarantine:      QuarantinePeriod,
		quarantines:     new(atomic.Int64),
		targets:         make(map[string]*hostPool, len(targets)),
	}
	for _, t := range targets {
		if t.Scheme == "http" {
			u.targets[t.Host] = u.newPool(t.Host)
		}
	}
	return u
}

func (u *Client) newPool(host string) *hostPool {
	h := url.URL{Host: host}
	port := h.Port()
	if port == "" {
		port = "80"
	}
	return &hostPool{client: u, addr: net.JoinHostPort(h.Hostname(), port), quarantinedUntil: new(atomic.Int64)}
}

func (u *Client) pool(host string) *hostPool {
	if p := u.targets[host]; p != nil {
		return p
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.others[host]
	if p == nil {
		if u.others == nil {
			u.others = make(map[string]*hostPool)
		}
		p = u.newPool(host)
		u.others[host] = p
	}
	return p
}

// CloseIdleConnections closes the connections waiting in the pools, and
// the connections in use as their exchanges end, until the next request,
// as net/http's Transport does: a gateway calls it on the client of a
// config it no longer serves, whose connections would otherwise wait out
// the idle timeout.
func (u *Client) CloseIdleConnections() {
	u.closeIdle.Store(true)
	for _, p := range u.targets {
		p.closeIdle()
	}
	u.mu.Lock()
	others := make([]*hostPool, 0, len(u.others))
	for _, p := range u.others {
		others = append(others, p)
	}
	u.mu.Unlock()
	for _, p := range others {
		p.closeIdle()
	}
}

// ErrNotSent is wrapped by the errors of RoundTrip for a request of which
// no byte reached the upstream: the dial failed (refused, timed out,
// unreachable), or the connection failed (reset, closed) before the first
// byte of the request was written to it. Such a request may go to another
// target whatever its method: the upstream cannot have acted on it. An
// error that does not wrap it may come from a request the upstream has
// seen, in part or whole. A request refused before sending (a header value
// with a CR or LF) and a cancelled one do not wrap it.
var ErrNotSent = errors.New("upstream request not sent")

// notSent marks err as the failure of a request that was not sent; err's
// own meaning (a net.Error's Timeout) stays readable with errors.As.
func notSent(err error) error {
	return fmt.Errorf("%w: %w", ErrNotSent, err)
}

// errUpstreamSwitched answers a 101 to a request that asked for no upgrade.
var errUpstreamSwitched = errors.New("upstream answered 101 Switching Protocols to a request that asked for no upgrade")

// headerTimeoutError is the error of an upstream that sent no response head
// in time. It is a net.Error whose Timeout is true, which the gateway
// answers with 504.
type headerTimeoutError struct{ after time.Duration }

func (e *headerTimeoutError) Error() string {
	return "upstream sent no response head within " + e.after.String()
}

func (e *headerTimeoutError) Timeout() bool   { return true }
func (e *headerTimeoutError) Temporary() bool { return true }

// upstreamRequest is one request as the client writes it.
type upstreamRequest struct {
	req        *http.Request
	method     string
	uri        string // request target, origin-form
	host       string // Host header
	body       io.ReadCloser
	length     int64 // >0: Content-Length; -1: chunked; 0: no body
	zeroLength bool  // no body, but say Content-Length: 0 (POST, PUT, PATCH)
	close      bool  // Connection: close, do not reuse the connection
	expect     bool  // wait for 100 Continue before sending the body
	resendable bool  // the body can be sent again (none, or GetBody)
	idempotent bool  // resendable and safe to send twice
}

func (u *Client) prepare(req *http.Request) (upstreamRequest, error) {
	r := upstreamRequest{req: req, method: req.Method, body: req.Body}
	if req.URL == nil {
		return r, errors.New("upstream request has no URL")
	}
	if req.URL.Scheme != "http" {
		return r, fmt.Errorf("upstream client speaks only http://, not %q", req.URL.Scheme+"://")
	}
	if req.URL.Host == "" {
		return r, fmt.Errorf("upstream request URL %q has no host", req.URL.String())
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	if !fetch.IsToken(r.method) {
		return r, fmt.Errorf("upstream request method %q is not a token", r.method)
	}
	r.host = req.Host
	if r.host == "" {
		r.host = req.URL.Host
	}
	if !headText(r.host, false) {
		return r, fmt.Errorf("upstream request Host %q holds a space or control character", r.host)
	}
	r.uri = req.URL.RequestURI()
	if !headText(r.uri, false) {
		return r, fmt.Errorf("upstream request target %q holds a space or control character", r.uri)
	}
	if r.body == http.NoBody {
		r.body = nil
	}
	switch {
	case r.body == nil:
		r.zeroLength = r.method == http.MethodPost || r.method == http.MethodPut || r.method == http.MethodPatch
	case req.ContentLength > 0:
		r.length = req.ContentLength
	default:
		// A body of unknown length; 0 with a body also means unknown
		// (http.Request's rule for client requests).
		r.length = -1
	}
	r.close = req.Close || HeaderHasToken(req.Header["Connection"], "close")
	r.expect = r.body != nil && HeaderHasToken(req.Header["Expect"], "100-continue")
	r.resendable = r.body == nil || req.GetBody != nil
	r.idempotent = r.resendable && idempotentRequest(req, r.method)
	return r, nil
}

// idempotentRequest reports whether sending req twice does no more than
// sending it once, so that a request lost on a connection the upstream was
// closing may be sent again (net/http's Transport's rule).
func idempotentRequest(req *http.Request, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// RoundTrip sends req and returns the response once its head has arrived.
// A request that met a keep-alive connection the upstream had closed is
// sent once more on a new connection when no answer byte arrived and it can
// be sent again: without a body or with GetBody, and idempotent or not
// written at all.
func (u *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	r, err := u.prepare(req)
	if err != nil {
		closeBody(r.body)
		return nil, err
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(r.body)
		return nil, err
	}
	if u.closeIdle.Load() {
		u.closeIdle.Store(false)
	}
	p := u.pool(req.URL.Host)
	for attempt := 0; ; attempt++ {
		var c *upstreamConn
		if attempt == 0 {
			c, err = p.get(ctx)
		} else {
			c, err = p.dial(ctx)
		}
		if err != nil {
			closeBody(r.body)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, notSent(err)
		}
		resp, stale, err := u.exchange(ctx, c, &r)
		if err == nil {
			return resp, nil
		}
		closeBody(r.body)
		if attempt > 0 || !stale || !r.resendable || !(r.idempotent || c.written == 0) {
			return nil, err
		}
		if r.body != nil {
			if r.body, err = req.GetBody(); err != nil {
				return nil, fmt.Errorf("upstream request body for a second attempt: %w", err)
			}
			if r.body == http.NoBody {
				r.body = nil
			}
		}
	}
}

// exchange sends r on c and reads the response head. stale reports a
// failure that a reused connection shows when the upstream had closed it:
// no answer byte, no timeout, no cancellation. c is pooled again or closed
// whatever happens. On success r.body has been closed; on failure the
// caller closes it.
func (u *Client) exchange(ctx context.Context, c *upstreamConn, r *upstreamRequest) (resp *http.Response, stale bool, err error) {
	var stop func() bool
	if ctx.Done() != nil {
		// Cancellation closes the connection, which interrupts whatever
		// read or write waits on it.
		stop = context.AfterFunc(ctx, c.interrupt)
	}
	c.written, c.writeErr = 0, nil

	if err := r.writeHead(c.bw); err != nil {
		if c.written == 0 && c.writeErr == nil {
			// Nothing reached the upstream: the connection is as clean
			// as it was.
			c.bw.Reset(c)
			c.release(stop, true)
		} else {
			c.release(stop, false)
		}
		return nil, false, err
	}
	pending := r.body != nil // a body still to send
	var writeErr error       // the connection's, not the body's
	switch {
	case pending && r.expect:
		writeErr = c.bw.Flush() // the body waits for 100 Continue
	case pending:
		if !inMemory(r.body) {
			// The upstream sees the request while the body streams, as
			// with net/http's Transport.
			writeErr = c.bw.Flush()
		}
		if writeErr == nil {
			pending = false
			writeErr = u.sendBody(c, r)
		}
	default:
		writeErr = c.bw.Flush()
	}
	if writeErr != nil && c.writeErr == nil {
		// The request's own body failed: the upstream has half a request.
		c.release(stop, false)
		return nil, false, contextError(ctx, writeErr)
	}
	// After a write error, an upstream that stopped reading may still have
	// answered (413, 401), which is worth more than the error.

	c.readLimit = upstreamMaxHeadBytes
	answered := false // a response byte arrived
	deadline := false
	for informational := 0; ; {
		wait, forContinue := u.headerTimeout, false
		if pending && writeErr == nil && (wait == 0 || u.continueTimeout < wait) {
			wait, forContinue = u.continueTimeout, true
		}
		if wait > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(wait))
			deadline = true
		}
		if _, err := c.br.Peek(1); err != nil {
			timedOut := errors.Is(err, os.ErrDeadlineExceeded)
			if forContinue && timedOut && ctx.Err() == nil {
				// No 100 Continue in time: send the body anyway.
				pending = false
				if writeErr = u.sendBody(c, r); writeErr != nil && c.writeErr == nil {
					c.release(stop, false)
					return nil, false, contextError(ctx, writeErr)
				}
				continue
			}
			c.release(stop, false)
			switch {
			case ctx.Err() != nil:
				return nil, false, ctx.Err()
			case timedOut:
				return nil, false, &headerTimeoutError{after: wait}
			case writeErr != nil:
				err = writeErr
			}
			err = fmt.Errorf("upstream %s: %w", c.pool.addr, err)
			if c.written == 0 {
				err = notSent(err)
			}
			return nil, c.reused && !answered, err
		}
		answered = true
		resp, err = http.ReadResponse(c.br, r.req)
		if err != nil {
			c.release(stop, false)
			switch {
			case ctx.Err() != nil:
				return nil, false, ctx.Err()
			case errors.Is(err, os.ErrDeadlineExceeded):
				return nil, false, &headerTimeoutError{after: wait}
			}
			if malformed(err) {
				c.pool.quarantine("a malformed response head")
			}
			return nil, false, fmt.Errorf("upstream %s: malformed response: %w", c.pool.addr, err)
		}
		if resp.StatusCode >= 200 {
			break
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			c.release(stop, false)
			return nil, false, errUpstreamSwitched
		}
		if informational++; informational > upstreamMaxInformational {
			c.release(stop, false)
			return nil, false, fmt.Errorf("upstream %s sent more than %d informational responses", c.pool.addr, upstreamMaxInformational)
		}
		if resp.StatusCode == http.StatusContinue && pending && writeErr == nil {
			pending = false
			if writeErr = u.sendBody(c, r); writeErr != nil && c.writeErr == nil {
				c.release(stop, false)
				return nil, false, contextError(ctx, writeErr)
			}
		}
	}
	c.readLimit = -1
	if deadline {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	closeBody(r.body)
	// An upstream that answered before taking the body, or stopped taking
	// it, leaves the connection in an unknown state.
	keep := !r.close && !resp.Close && !pending && writeErr == nil
	if keep && bodyAnnouncedAnyway(resp) {
		keep = false
		c.pool.quarantine("a body announced on a " + strconv.Itoa(resp.StatusCode) + " answer")
	}
	if resp.Body == http.NoBody {
		c.release(stop, keep)
		return resp, false, nil
	}
	resp.Body = &upstreamBody{body: resp.Body, c: c, ctx: ctx, stop: stop, keep: keep}
	return resp, false, nil
}

// malformed reports whether err, an error of http.ReadResponse, is one of
// the bytes read (not a head cut short, nor a failed connection): garbage
// where a head should be, two different Content-Lengths.
func malformed(err error) bool {
	var ne net.Error
	return !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
		!errors.Is(err, errHeadTooLarge) && !errors.As(err, &ne)
}

// bodyAnnouncedAnyway reports whether resp is a 204 or 304 answer whose
// head announces a body it cannot have (Transfer-Encoding, or a non-zero
// Content-Length on a 204): such an upstream may well send that body,
// which must not wait on a pooled connection for the next request. A HEAD
// answer's Content-Length describes the GET's body and is no such sign.
func bodyAnnouncedAnyway(resp *http.Response) bool {
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		return false
	}
	if len(resp.TransferEncoding) > 0 {
		return true
	}
	cl := resp.Header["Content-Length"]
	return resp.StatusCode == http.StatusNoContent && len(cl) > 0 && cl[0] != "0"
}

// sendBody writes r's body and flushes it.
func (u *Client) sendBody(c *upstreamConn, r *upstreamRequest) error {
	if err := u.writeBody(c, r); err != nil {
		return err
	}
	return c.bw.Flush()
}

// writeBody writes r's body framed by its length, or chunked.
func (u *Client) writeBody(c *upstreamConn, r *upstreamRequest) error {
	if r.length > 0 {
		n, err := io.CopyN(c.bw, r.body, r.length)
		if err == io.EOF {
			return fmt.Errorf("upstream request body is shorter than its Content-Length: %d of %d bytes", n, r.length)
		}
		return err
	}
	bufp, _ := u.chunkBufs.Get().(*[]byte)
	if bufp == nil {
		buf := make([]byte, 16<<10)
		bufp = &buf
	}
	defer u.chunkBufs.Put(bufp)
	buf := *bufp
	for {
		n, err := r.body.Read(buf)
		if n > 0 {
			// Each chunk goes out as it comes in, as with net/http's
			// Transport: a body of unknown length may be a stream.
			c.bw.Write(strconv.AppendInt(c.bw.AvailableBuffer(), int64(n), 16))
			c.bw.WriteString("\r\n")
			c.bw.Write(buf[:n])
			c.bw.WriteString("\r\n")
			if ferr := c.bw.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	c.bw.WriteString("0\r\n")
	// The trailer's values are known once the body has been read.
	for k, vv := range r.req.Trailer {
		if !fetch.IsToken(k) {
			continue
		}
		for _, v := range vv {
			if err := writeField(c.bw, k, v); err != nil {
				return err
			}
		}
	}
	_, err := c.bw.WriteString("\r\n")
	return err
}

// writeHead writes the request line and header fields. Header names that
// are not tokens are left out; a value with a control character (CR, LF,
// NUL) fails the request, since it would split or corrupt the head.
func (r *upstreamRequest) writeHead(bw *bufio.Writer) error {
	bw.WriteString(r.method)
	bw.WriteByte(' ')
	bw.WriteString(r.uri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.host)
	bw.WriteString("\r\n")
	h := r.req.Header
	// An empty User-Agent means none, as with net/http's Transport.
	if ua := h["User-Agent"]; len(ua) > 0 && ua[0] != "" {
		if err := writeField(bw, "User-Agent", ua[0]); err != nil {
			return err
		}
	}
	for k, vv := range h {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue // written from the request's fields
		}
		if !fetch.IsToken(k) {
			continue
		}
		for _, v := range vv {
			if err := writeField(bw, k, v); err != nil {
				return err
			}
		}
	}
	if r.req.Close && !HeaderHasToken(h["Connection"], "close") {
		bw.WriteString("Connection: close\r\n")
	}
	switch {
	case r.length > 0:
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), r.length, 10))
		bw.WriteString("\r\n")
	case r.length < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		first := true
		for k := range r.req.Trailer {
			if !fetch.IsToken(k) {
				continue
			}
			if first {
				bw.WriteString("Trailer: ")
				first = false
			} else {
				bw.WriteByte(',')
			}
			bw.WriteString(k)
		}
		if !first {
			bw.WriteString("\r\n")
		}
	case r.zeroLength:
		bw.WriteString("Content-Length: 0\r\n")
	}
	// A write error sticks to bw; the flush reports it.
	bw.WriteString("\r\n")
	return nil
}

func writeField(bw *bufio.Writer, k, v string) error {
	if !headText(v, true) {
		return fmt.Errorf("upstream request header %s has a value with a control character (CR, LF or NUL): refused", k)
	}
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(textproto.TrimString(v))
	bw.WriteString("\r\n")
	return nil
}

// headText reports whether s can go into a request head as it is: no
// control character (CR and LF would end a line early, NUL is refused by
// most servers), no space unless it is a header value, where a tab may
// appear too. Bytes from 0x80 are obs-text, allowed in values.
func headText(s string, value bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f {
			if !value || c != '\t' {
				return false
			}
		} else if c == ' ' && !value {
			return false
		}
	}
	return true
}

// inMemory reports whether b is a reader whose whole content is at hand,
// so that the request head may wait in the buffer for the body.
func inMemory(b io.Reader) bool {
	switch b.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		return true
	}
	return false
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// contextError prefers the context's error to err once the context is
// done: a cancelled exchange fails because its connection was closed, and
// the closed connection is not the cause worth reporting.
func contextError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// hostPool keeps one host's idle connections, most recently used last:
// taking the freshest connection keeps few connections busy and lets the
// others reach the idle timeout.
type hostPool struct {
	client *Client
	addr   string // host:port to dial

	mu    sync.Mutex
	idle  []*upstreamConn
	sweep *time.Timer // closes connections idle too long
	armed bool        // sweep will fire

	// quarantinedUntil is the end of p's quarantine, in Unix nanoseconds:
	// until then its connections are not pooled (see QuarantinePeriod).
	// Pools of the same target in successive clients share it.
	quarantinedUntil *atomic.Int64
}

// get returns an idle connection that is still open and has received
// nothing since its last response ended, or dials one.
//
// The check on every take is what keeps one exchange's bytes from another
// request: an upstream that sent more than its response framed (a wrong
// Content-Length, a body after a HEAD, 204 or 304 answer, a second
// response), at once or later while the connection sat idle, has left
// bytes in the socket, and the connection is closed instead of being
// handed a request whose answer those bytes would be taken for. It is the
// rule of net/http's Transport, whose background read closes an idle
// connection on which anything arrives ("Unsolicited response received on
// idle HTTP channel"), checked here when it matters instead of by a
// goroutine per connection. Bytes that arrive after the request is written
// are, to any HTTP/1.1 client, that request's answer.
//
// A stray found so puts the target in quarantine (see QuarantinePeriod).
func (p *hostPool) get(ctx context.Context) (*upstreamConn, error) {
	for {
		c := p.take()
		if c == nil {
			return p.dial(ctx)
		}
		alive, stray := c.check()
		if alive {
			return c, nil
		}
		c.nc.Close()
		if stray {
			p.quarantine("bytes on an idle connection")
		}
	}
}

// quarantine starts or renews p's quarantine: its connections are closed
// after their exchanges until the period ends, and the idle ones now. The
// start of a quarantine is counted and logged.
func (p *hostPool) quarantine(sign string) {
	u := p.client
	now := time.Now()
	if prior := p.quarantinedUntil.Swap(now.Add(u.Quarantine).UnixNano()); prior <= now.UnixNano() {
		u.quarantines.Add(1)
		if u.Log != nil {
			u.Log.Warn("upstream sent bytes beyond its responses' framing: its connections are not reused for a while",
				"upstream", p.addr, "sign", sign, "for", u.Quarantine.String())
		}
	}
	p.closeIdle()
}

func (p *hostPool) take() *upstreamConn {
	p.mu.Lock()
	n := len(p.idle)
	if n == 0 {
		p.mu.Unlock()
		return nil
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	if time.Since(c.idleSince) < p.client.idleTimeout {
		p.mu.Unlock()
		p.client.idle.Add(-1)
		return c
	}
	// The freshest connection is too old, so are all the others.
	stale := append(p.idle, c)
	p.idle = nil
	p.mu.Unlock()
	p.client.idle.Add(-int64(len(stale)))
	for _, s := range stale {
		s.nc.Close()
	}
	return nil
}

func (p *hostPool) put(c *upstreamConn) {
	u := p.client
	if u.closeIdle.Load() {
		c.nc.Close()
		return
	}
	if u.idle.Add(1) > u.maxIdle {
		u.idle.Add(-1)
		c.nc.Close()
		return
	}
	c.reused = true
	c.idleSince = time.Now()
	if c.idleSince.UnixNano() < p.quarantinedUntil.Load() {
		u.idle.Add(-1)
		c.nc.Close()
		return
	}
	p.mu.Lock()
	if len(p.idle) >= u.maxIdlePerHost {
		p.mu.Unlock()
		u.idle.Add(-1)
		c.nc.Close()
		return
	}
	p.idle = append(p.idle, c)
	if !p.armed {
		p.armed = true
		if p.sweep == nil {
			p.sweep = time.AfterFunc(u.idleTimeout, p.sweepIdle)
		} else {
			p.sweep.Reset(u.idleTimeout)
		}
	}
	p.mu.Unlock()
}

// sweepIdle closes the connections idle longer than the idle timeout, and
// sets itself to run again when the oldest of the others reaches it.
func (p *hostPool) sweepIdle() {
	timeout := p.client.idleTimeout
	p.mu.Lock()
	now := time.Now()
	i := 0
	for i < len(p.idle) && now.Sub(p.idle[i].idleSince) >= timeout {
		i++
	}
	stale := make([]*upstreamConn, i)
	copy(stale, p.idle[:i])
	n := copy(p.idle, p.idle[i:])
	clear(p.idle[n:])
	p.idle = p.idle[:n]
	if n > 0 {
		p.sweep.Reset(p.idle[0].idleSince.Add(timeout).Sub(now))
	} else {
		p.armed = false
	}
	p.mu.Unlock()
	p.client.idle.Add(-int64(len(stale)))
	for _, c := range stale {
		c.nc.Close()
	}
}

func (p *hostPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	p.client.idle.Add(-int64(len(idle)))
	for _, c := range idle {
		c.nc.Close()
	}
}

func (p *hostPool) dial(ctx context.Context) (*upstreamConn, error) {
	nc, err := p.client.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	c := &upstreamConn{pool: p, nc: nc, readLimit: -1, probe: newIdleProbe(nc)}
	c.interrupt = func() { nc.Close() }
	c.br = bufio.NewReaderSize(c, upstreamBufferSize)
	c.bw = bufio.NewWriterSize(c, upstreamBufferSize)
	return c, nil
}

// upstreamConn is one connection to an upstream with its buffers. Only
// the exchange that holds it uses it; the pool holds it in between.
type upstreamConn struct {
	pool      *hostPool
	nc        net.Conn
	br        *bufio.Reader // reads through the connection's Read
	bw        *bufio.Writer // writes through the connection's Write
	interrupt func()        // closes nc; made once, run on cancellation
	probe     *idleProbe    // checks nc when it is taken from the pool

	reused    bool      // it served an exchange before
	idleSince time.Time // when it went back to the pool
	readLimit int64     // bytes a response head may still take; -1: no limit
	written   int64     // bytes of this exchange sent
	writeErr  error     // the connection's write error in this exchange
}

// errHeadTooLarge stops a response head that never ends.
var errHeadTooLarge = fmt.Errorf("upstream response head is larger than %d bytes", upstreamMaxHeadBytes)

func (c *upstreamConn) Read(p []byte) (int, error) {
	if c.readLimit < 0 {
		return c.nc.Read(p)
	}
	if c.readLimit == 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > c.readLimit {
		p = p[:c.readLimit]
	}
	n, err := c.nc.Read(p)
	c.readLimit -= int64(n)
	return n, err
}

func (c *upstreamConn) Write(p []byte) (int, error) {
	n, err := c.nc.Write(p)
	c.written += int64(n)
	if err != nil {
		c.writeErr = err
	}
	return n, err
}

// check reports whether an idle connection can take a request: the
// upstream has neither closed it nor sent anything since the last answer.
// stray reports bytes found, which a close (a normal end of an idle
// connection) does not show.
func (c *upstreamConn) check() (alive, stray bool) {
	if c.br.Buffered() > 0 {
		return false, true
	}
	return c.probe.check()
}

// release ends an exchange: it stops watching the context and pools c when
// keep is true and the exchange was neither cancelled nor left unread
// bytes; otherwise it closes c.
func (c *upstreamConn) release(stop func() bool, keep bool) {
	if stop != nil && !stop() {
		keep = false // the cancellation has closed, or is closing, c
	}
	if keep && c.br.Buffered() == 0 {
		c.pool.put(c)
		return
	}
	c.nc.Close()
	if keep {
		// Bytes after an exactly framed answer.
		c.pool.quarantine("bytes after a response")
	}
}

// upstreamBody is a response body that streams from its connection and
// releases the connection at its end: to the pool after a clean end, closed
// after an error or an early Close.
type upstreamBody struct {
	body  io.ReadCloser // http.ReadResponse's body: framing and trailers
	c     *upstreamConn
	ctx   context.Context
	stop  func() bool
	keep  bool
	state atomic.Int32 // bodyReading, then one of the others
	err   error        // the read error, once state is bodyFailed
}

// The states of an upstreamBody; the first move out of bodyReading decides
// what becomes of the connection.
const (
	bodyReading int32 = iota
	bodyDone
	bodyFailed
	bodyClosed
)

func (b *upstreamBody) Read(p []byte) (int, error) {
	switch b.state.Load() {
	case bodyDone:
		return 0, io.EOF
	case bodyFailed:
		return 0, b.err
	case bodyClosed:
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.body.Read(p)
	if err == nil {
		return n, nil
	}
	if err == io.EOF {
		if b.state.CompareAndSwap(bodyReading, bodyDone) {
			b.c.release(b.stop, b.keep)
		}
		return n, io.EOF
	}
	b.err = contextError(b.ctx, err)
	if b.state.CompareAndSwap(bodyReading, bodyFailed) {
		b.c.release(b.stop, false)
	}
	return n, b.err
}

// Close closes the connection unless the body was read to its end. It may
// be called while a Read waits, which it interrupts.
func (b *upstreamBody) Close() error {
	if b.state.CompareAndSwap(bodyReading, bodyClosed) {
		b.c.release(b.stop, false)
		return nil
	}
	b.state.CompareAndSwap(bodyDone, bodyClosed)
	return nil
}

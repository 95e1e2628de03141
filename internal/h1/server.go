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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/internal/fetch"
)

// Server serves plain-text HTTP/1.1 on one goroutine per connection:
// it is how crossgate serve answers on a listener without TLS.
//
// net/http's server costs a gateway more than its own work: every request
// without a body starts a background read (a goroutine hand-off and a
// system call that finds nothing, then a deadline to stop it), so a
// preflight answered at the edge spent most of its CPU in net/http. This
// server reads a request, runs the handler and writes the answer on the
// connection's goroutine, with one read and one write system call per
// request.
//
// It takes only the plainest requests: HTTP/1.1 with a head of at most
// headBufSize bytes, every line well formed and ended by CRLF, an
// origin-form target, one Host, and no body or a Content-Length one. The
// first request that is anything else (chunked, Expect, Upgrade, HTTP/1.0,
// obs-fold, a large head, a malformed line) hands its connection, with the
// bytes already read, to fallback, a net/http server with the same handler,
// which serves that connection from then on. Whatever this server
// accepts, its handler sees as net/http's would (buildRequest cuts the
// request out of the head as http.ReadRequest reads it; FuzzServer
// holds the two to that), and whatever it does not, net/http answers as it
// always does.
//
// A request's context is the connection's: it is cancelled when the client
// goes away while a request runs with its body read (noticed within about
// 150 ms by a read started only for requests still running after
// watchAfter, see h1watch.go), and when the connection ends, but not when
// ServeHTTP returns, as net/http's is. Hijack is not offered: upgrades go
// to the fallback.
type Server struct {
	handler           http.Handler
	fallback          *http.Server
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration
	log               *slog.Logger

	handoff *handoffListener

	mu        sync.Mutex
	ln        net.Listener
	conns     map[*h1Conn]struct{}
	closing   atomic.Bool
	serveDone atomic.Bool // Serve returned: the watch ends with the last connection
}

const (
	// headBufSize is the connection's read buffer and so the largest
	// request head served here; larger ones go to net/http.
	headBufSize = 8 << 10
	// bodyBufSize is how much of a response body is held back so that a
	// small answer goes out with a Content-Length in one write.
	bodyBufSize = 4 << 10
	// maxDrainBytes is how much of an unread request body is read and
	// thrown away to keep the connection; net/http's limit too.
	maxDrainBytes = 256 << 10
)

// Connection states: waiting for a request, or serving one.
const (
	connIdle int32 = iota
	connActive
	connClosed
)

// NewServer returns a server for srv's handler and its
// ReadHeaderTimeout and IdleTimeout; srv itself serves the connections
// handed off. log (nil for none) receives handler panics and accept
// errors.
func NewServer(srv *http.Server, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		handler:           srv.Handler,
		fallback:          srv,
		readHeaderTimeout: srv.ReadHeaderTimeout,
		idleTimeout:       srv.IdleTimeout,
		log:               log,
		conns:             make(map[*h1Conn]struct{}),
	}
}

// Serve accepts connections on ln until Shutdown, and returns
// http.ErrServerClosed then, like http.Server.Serve.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.handoff = &handoffListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	s.mu.Unlock()
	// It returns when the listener closes, which Serve and Shutdown do.
	go s.fallback.Serve(s.handoff)
	// The watch outlives Serve, which returns as Shutdown begins: the
	// requests still running are watched until they end.
	defer s.serveDone.Store(true)
	go s.watchLoop()

	var backoff time.Duration
	for {
		rwc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				s.handoff.Close()
				return err
			}
			// Out of file descriptors or the like: wait, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "error", err.Error(), "in", backoff.String())
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := s.newConn(rwc)
		if c == nil {
			rwc.Close()
			continue
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections, and waits for the
// requests in flight (here and in the fallback) until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	ferr := s.fallback.Shutdown(ctx)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			return ferr
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				// First, so that the connection closing is not taken for
				// the client leaving.
				c.cancel(errShutdown)
				c.rwc.Close()
			}
			s.mu.Unlock()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			// Wakes the goroutine blocked reading; it sees connClosed.
			c.rwc.SetReadDeadline(aLongTimeAgo)
		}
	}
	return len(s.conns) == 0
}

var aLongTimeAgo = time.Unix(1, 0)

func (s *Server) newConn(rwc net.Conn) *h1Conn {
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &h1Conn{
		srv:        s,
		rwc:        rwc,
		remoteAddr: rwc.RemoteAddr().String(),
		header:     make(http.Header, 16),
		base:       (&http.Request{}).WithContext(ctx),
		cancel:     cancel,
		watchDone:  make(chan struct{}, 1),
	}
	c.br = bufio.NewReaderSize(connReader{c}, headBufSize)
	c.res.c = c
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) forget(c *h1Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// h1Conn is one client connection and the state reused by its requests.
type h1Conn struct {
	srv        *Server
	rwc        net.Conn
	br         *bufio.Reader
	bw         *bufio.Writer // from connWriters while a request is served
	remoteAddr string
	state      atomic.Int32

	header     http.Header // the response header, cleared per request
	hdr        []byte      // the response head as of WriteHeader
	keys       []string    // sorting space for header names
	res        h1Response
	body       *h1Body // of the request being served, nil without a body
	scan       headScanner
	lastMethod string

	// Watching for the client going away (h1watch.go). base holds the
	// context of the connection's requests, which cancel cancels.
	base      *http.Request
	cancel    context.CancelCauseFunc
	watch     atomic.Int32
	reqStart  atomic.Int64 // UnixNano
	watchDone chan struct{}
	watchMu   sync.Mutex // orders the read deadlines of unwatch and the background read
	stopping  bool       // unwatch is stopping the background read; guarded by watchMu
	// Set by the background read, read after watchDone.
	stash   [1]byte
	stashed bool
	gone    bool
}

// serve runs the connection's requests until it closes or is handed off.
func (c *h1Conn) serve() {
	handedOff := false
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.srv.log.Error("panic serving request", "remote", c.remoteAddr, "panic", fmt.Sprint(v), "stack", string(buf))
		}
		c.srv.forget(c)
		c.cancel(errConnDone)
		if !handedOff {
			c.rwc.Close()
		}
	}()
	for {
		verdict, n, bodyLen := c.readHead()
		switch verdict {
		case headClose:
			return
		case headHandOff:
			handedOff = c.handOff()
			return
		}
		req, err := c.parse(n, bodyLen)
		if err != nil {
			handedOff = c.handOff()
			return
		}
		c.br.Discard(n)
		if !c.serveRequest(req, bodyLen) {
			return
		}
		if !c.state.CompareAndSwap(connActive, connIdle) || c.srv.closing.Load() {
			return
		}
	}
}

type headVerdict int

const (
	headServe headVerdict = iota
	headHandOff
	headClose
)

// readHead waits for the next request and reports whether this server
// takes it, with the length of its head and of its body.
func (c *h1Conn) readHead() (v headVerdict, n int, bodyLen int64) {
	if c.br.Buffered() == 0 {
		if c.srv.idleTimeout > 0 {
			c.rwc.SetReadDeadline(time.Now().Add(c.srv.idleTimeout))
			if c.state.Load() == connClosed {
				// closeIdle got in between the serve loop's check and
				// the line above, which undid its deadline.
				return headClose, 0, 0
			}
		}
		if _, err := c.br.Peek(1); err != nil {
			return headClose, 0, 0
		}
	}
	if !c.state.CompareAndSwap(connIdle, connActive) {
		return headClose, 0, 0
	}
	if c.lastMethod == "POST" {
		// Old clients send a stray CRLF after a POST body; net/http
		// forgives it, so must this server.
		peek, _ := c.br.Peek(min(4, c.br.Buffered()))
		c.br.Discard(leadingCRLF(peek))
		if c.br.Buffered() == 0 {
			if _, err := c.br.Peek(1); err != nil {
				return headClose, 0, 0
			}
		}
	}
	deadlineSet := false
	c.scan = headScanner{}
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		v, n, bodyLen := c.scan.scan(buf)
		if v != headMore {
			if deadlineSet || bodyLen > 0 {
				// The body is read with no deadline, as net/http does
				// without a ReadTimeout.
				c.rwc.SetReadDeadline(time.Time{})
			}
			if v == headPlain {
				return headServe, n, bodyLen
			}
			return headHandOff, 0, 0
		}
		if len(buf) == headBufSize {
			return headHandOff, 0, 0
		}
		if !deadlineSet && c.srv.readHeaderTimeout > 0 {
			c.rwc.SetReadDeadline(time.Now().Add(c.srv.readHeaderTimeout))
			deadlineSet = true
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			// A client gone or too slow with its head: net/http closes
			// such connections without an answer too.
			return headClose, 0, 0
		}
	}
}

func leadingCRLF(b []byte) int {
	n := 0
	for _, c := range b {
		if c != '\r' && c != '\n' {
			break
		}
		n++
	}
	return n
}

// parse makes the request of the head of n bytes, with the checks
// net/http's server makes beyond reading it.
func (c *h1Conn) parse(n int, bodyLen int64) (*http.Request, error) {
	head, _ := c.br.Peek(n)
	req, err := buildRequest(head, bodyLen, c.base)
	if err != nil {
		return nil, err
	}
	if !validHostHeader(req.Host) {
		return nil, errors.New("malformed Host")
	}
	req.RemoteAddr = c.remoteAddr
	if bodyLen > 0 {
		// A body of its own for each request: a reader that outlives
		// its handler must not reach the next request's.
		c.body = &h1Body{c: c, left: bodyLen}
		req.Body = c.body
	} else {
		req.Body = http.NoBody
	}
	return req, nil
}

// validHostHeader reports whether h has only the bytes net/http's server
// accepts in a Host header.
func validHostHeader(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// handOff gives the connection, with what has been read of it, to the
// fallback server, and reports whether it took it.
func (c *h1Conn) handOff() bool {
	buffered, _ := c.br.Peek(c.br.Buffered())
	pc := &prefixConn{Conn: c.rwc, prefix: bytes.Clone(buffered)}
	c.srv.forget(c)
	return c.srv.handoff.give(pc)
}

// serveRequest runs the handler and finishes its response; it reports
// whether the connection can take another request.
func (c *h1Conn) serveRequest(req *http.Request, bodyLen int64) bool {
	c.lastMethod = req.Method
	if bodyLen == 0 && c.br.Buffered() == 0 {
		c.arm()
	}
	c.bw = connWriters.Get().(*bufio.Writer)
	c.bw.Reset(c.rwc)
	bp := bodyBufs.Get().(*[]byte)
	w := &c.res
	w.reset(req)
	w.buf = (*bp)[:0]
	c.srv.handler.ServeHTTP(w, req)
	keep := w.finish()
	// An idle connection keeps nothing of its last exchange alive: header
	// values may sit in a slab shared with other responses.
	clear(c.header)
	w.req = nil
	err := c.bw.Flush()
	// The answer is out before the body is finished, as with net/http: a
	// reader still on the body may be waiting for a client that waits for
	// the answer.
	if c.body != nil {
		keep = c.body.finish() && keep
		c.body = nil
	}
	if !c.unwatch() {
		keep = false
	}
	c.bw.Reset(nil)
	connWriters.Put(c.bw)
	c.bw = nil
	*bp = w.buf[:0]
	bodyBufs.Put(bp)
	w.buf = nil
	return keep && err == nil
}

// The buffers a connection needs only while it answers are pooled, so that
// an idle keep-alive connection holds its read buffer and nothing more.
var (
	connWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bodyBufSize) }}
	bodyBufs    = sync.Pool{New: func() any { b := make([]byte, 0, bodyBufSize); return &b }}
)

// h1Body is a request body of known length, read from the connection. It
// may be read from another goroutine than the handler's, and after the
// handler returned (http.Transport sends a request body upstream from a
// goroutine of its own, and may still be at it when an early answer has
// come back): mu orders those reads with the server finishing the request.
type h1Body struct {
	c      *h1Conn
	mu     sync.Mutex
	left   int64
	err    error
	closed bool // by the handler, or by the server once the handler returned
}

func (b *h1Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return n, err
	}
	if b.left == 0 {
		if b.c.br.Buffered() == 0 {
			// The whole body is in: the connection can be watched for
			// the client going away, as a request without one is.
			b.c.arm()
		}
		return n, io.EOF
	}
	return n, nil
}

// Close makes later reads fail and leaves the rest to drain, as net/http's
// request bodies do.
func (b *h1Body) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// finish closes the body once the handler returned, waiting for a read in
// progress, then reads what is left of it, up to maxDrainBytes, and
// reports whether the connection is still usable.
func (b *h1Body) finish() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.left == 0 {
		return true
	}
	if b.err != nil || b.left > maxDrainBytes {
		return false
	}
	n, err := b.c.br.Discard(int(b.left))
	b.left -= int64(n)
	return err == nil && b.left == 0
}

// prefixConn is a connection handed to net/http: it first reads back the
// bytes already taken off it.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// CloseWrite lets net/http half-close the connection after an error
// answer, as it does on its own connections.
func (p *prefixConn) CloseWrite() error {
	if cw, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// handoffListener is the listener the fallback server accepts handed-off
// connections from.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// h1Response is the http.ResponseWriter of one request, reused by the
// connection's next.
type h1Response struct {
	c   *h1Conn
	req *http.Request

	status        int
	wroteHeader   bool
	headSent      bool
	chunked       bool
	noBody        bool // HEAD, 204, 304: no body goes out
	haveType      bool
	hasTrailers   bool
	closeAfter    bool
	contentLength int64 // as the handler declared it, or -1
	written       int64
	buf           []byte // the body held back until the head is sent
	werr          error
}

func (w *h1Response) reset(req *http.Request) {
	clear(w.c.header)
	*w = h1Response{c: w.c, req: req, contentLength: -1, closeAfter: req.Close}
}

// Header returns the response header, which is the connection's own map:
// handlers must not keep it past their return, as with net/http.
func (w *h1Response) Header() http.Header { return w.c.header }

// WriteHeader records the status and the header as they are now; later
// changes to the header only count as trailers.
func (w *h1Response) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	h := w.c.header
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational answer (103 Early Hints) goes out at once.
		if w.werr == nil {
			bw := w.c.bw
			bw.WriteString(statusLine(code))
			w.c.hdr = appendHeader(w.c.hdr[:0], h, &w.c.keys)
			bw.Write(w.c.hdr)
			bw.WriteString("\r\n")
			w.werr = bw.Flush()
		}
		return
	}
	w.wroteHeader = true
	w.status = code
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
	if cl := h["Content-Length"]; len(cl) > 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl[0]), 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		}
	}
	if HeaderHasToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	_, w.haveType = h["Content-Type"]
	w.hasTrailers = len(h["Trailer"]) > 0
	if !w.hasTrailers {
		for k := range h {
			if strings.HasPrefix(k, http.TrailerPrefix) {
				w.hasTrailers = true
				break
			}
		}
	}
	w.c.hdr = appendHeader(w.c.hdr[:0], h, &w.c.keys)
}

func (w *h1Response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.noBody && w.req.Method != http.MethodHead {
		return 0, http.ErrBodyNotAllowed
	}
	// Counted before the check, as net/http does: after one write too
	// many, every write fails and the connection closes at the end.
	w.written += int64(len(p))
	if w.contentLength >= 0 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.werr != nil {
		return 0, w.werr
	}
	if !w.headSent {
		if len(w.buf)+len(p) <= bodyBufSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.sendHead(false)
	}
	w.writeBody(p)
	if w.werr != nil {
		return 0, w.werr
	}
	return len(p), nil
}

func (w *h1Response) writeBody(p []byte) {
	if w.noBody || len(p) == 0 || w.werr != nil {
		return
	}
	bw := w.c.bw
	if w.chunked {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
		bw.Write(p)
		_, w.werr = bw.WriteString("\r\n")
		return
	}
	_, w.werr = bw.Write(p)
}

// sendHead writes the status line and the head recorded by WriteHeader,
// with the framing: the handler's Content-Length, or the length of the
// whole body when the handler is done (final) and it fit in the buffer,
// or chunked.
func (w *h1Response) sendHead(final bool) {
	w.headSent = true
	bw := w.c.bw
	bw.WriteString(statusLine(w.status))
	bw.Write(w.c.hdr)
	bodyAllowed := w.status != http.StatusNoContent && w.status != http.StatusNotModified
	switch {
	case w.contentLength >= 0:
		if w.status != http.StatusNoContent {
			bw.WriteString("Content-Length: ")
			bw.WriteString(strconv.FormatInt(w.contentLength, 10))
			bw.WriteString("\r\n")
		}
	case !bodyAllowed:
	case final && !w.hasTrailers && (w.req.Method != http.MethodHead || len(w.buf) > 0):
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.Itoa(len(w.buf)))
		bw.WriteString("\r\n")
	case w.req.Method == http.MethodHead:
	default:
		w.chunked = true
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if !w.haveType && bodyAllowed && len(w.buf) > 0 {
		bw.WriteString("Content-Type: ")
		bw.WriteString(http.DetectContentType(w.buf))
		bw.WriteString("\r\n")
	}
	if _, ok := w.c.header["Date"]; !ok {
		bw.Write(dateLine())
	}
	if w.closeAfter {
		bw.WriteString("Connection: close\r\n")
	}
	_, w.werr = bw.WriteString("\r\n")
	if w.req.Method == http.MethodHead {
		return
	}
	w.writeBody(w.buf)
}

// Flush sends the head and what is buffered of the body.
func (w *h1Response) Flush() { _ = w.FlushError() }

// FlushError is Flush reporting the write error, for
// http.ResponseController.
func (w *h1Response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(false)
	}
	if w.werr != nil {
		return w.werr
	}
	w.werr = w.c.bw.Flush()
	return w.werr
}

// SetWriteDeadline and SetReadDeadline serve http.ResponseController.
func (w *h1Response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

func (w *h1Response) SetReadDeadline(t time.Time) error { return w.c.rwc.SetReadDeadline(t) }

// finish completes the response after the handler returned and reports
// whether the connection can be kept.
func (w *h1Response) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(true)
	}
	if w.chunked && w.werr == nil {
		// The last chunk, then the trailers: those the Trailer header
		// declared and those named with http.TrailerPrefix.
		h := w.c.header
		t := append(w.c.hdr[:0], "0\r\n"...)
		for _, v := range h["Trailer"] {
			for name := range strings.SplitSeq(v, ",") {
				name = http.CanonicalHeaderKey(strings.TrimSpace(name))
				if fetch.IsToken(name) {
					for _, tv := range h[name] {
						t = appendHeaderLine(t, name, tv)
					}
				}
			}
		}
		for k, vv := range h {
			if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && fetch.IsToken(name) {
				for _, tv := range vv {
					t = appendHeaderLine(t, name, tv)
				}
			}
		}
		t = append(t, "\r\n"...)
		_, w.werr = w.c.bw.Write(t)
		w.c.hdr = t[:0]
	}
	if w.contentLength >= 0 && w.written != w.contentLength && !w.noBody {
		// The body is not what the head announced: the client can only
		// tell by the connection closing.
		return false
	}
	return w.werr == nil && !w.closeAfter
}

// appendHeader appends h's lines, names sorted as net/http writes them,
// leaving out the framing headers the server sets itself and trailers.
func appendHeader(b []byte, h http.Header, keys *[]string) []byte {
	ks := (*keys)[:0]
	for k := range h {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue
		}
		if strings.HasPrefix(k, http.TrailerPrefix) || !fetch.IsToken(k) {
			continue
		}
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		for _, v := range h[k] {
			b = appendHeaderLine(b, k, v)
		}
	}
	*keys = ks[:0]
	return b
}

// appendHeaderLine appends the header line "k: v".
func appendHeaderLine(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, headerValue(v)...)
	return append(b, "\r\n"...)
}

// headerValue is v as net/http writes it: trimmed, with CR and LF turned
// into spaces so that no value can start a header of its own.
func headerValue(v string) string {
	v = strings.Trim(v, " \t")
	if strings.ContainsAny(v, "\r\n") {
		v = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, v)
	}
	return v
}

// statusLines holds "HTTP/1.1 NNN Text\r\n" for every three-digit code.
var statusLines = func() (t [1000]string) {
	for code := 100; code < 1000; code++ {
		text := http.StatusText(code)
		if text == "" {
			text = "status code " + strconv.Itoa(code)
		}
		t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
	}
	return t
}()

func statusLine(code int) string { return statusLines[code] }

// cachedDate is the Date header line of the current second.
type cachedDate struct {
	sec  int64
	line []byte
}

var date atomic.Pointer[cachedDate]

func dateLine() []byte {
	now := time.Now()
	if d := date.Load(); d != nil && d.sec == now.Unix() {
		return d.line
	}
	d := &cachedDate{sec: now.Unix()}
	d.line = append([]byte("Date: "), now.UTC().AppendFormat(nil, http.TimeFormat)...)
	d.line = append(d.line, "\r\n"...)
	date.Store(d)
	return d.line
}

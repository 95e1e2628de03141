package h1

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// A client may go away while its request waits on a slow upstream. net/http
// notices with a read it starts in the background for every request; this
// server starts one only for a request that is still running after
// watchAfter, so that the requests a gateway answers in microseconds pay
// nothing for it. A read that finds the connection closed cancels the
// context of the connection's requests, which stops the upstream exchange,
// as nginx stops it when its client aborts.
//
// Only requests whose body, if any, has been read to its end, and with
// nothing more of the client's read yet, are watched: the background read
// is then the only reader of the connection. What it reads of a next
// request (pipelined) is kept for the server's next read.

// watchAfter is how long a request runs before its connection is watched.
const watchAfter = 100 * time.Millisecond

// Watch states of a connection.
const (
	watchOff     int32 = iota // no request, or one that is not watched
	watchArmed                // a request that may be watched, since c.reqStart
	watchRunning              // a background read is on the connection
)

// The causes of the end of a connection's context: its client closed it
// while a request ran, the connection ended otherwise, or a Shutdown ran
// out of time with the request still running.
var (
	errClientGone = errors.New("client closed the connection")
	errConnDone   = errors.New("connection closed")
	errShutdown   = errors.New("server shut down before the request ended")
)

// ClientGone reports whether r's context ended because its client went
// away: the connection closed under it, which with net/http's server is all
// a cancelled request context can mean, but not a forced Shutdown of
// Server.
func ClientGone(r *http.Request) bool {
	ctx := r.Context()
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), errShutdown)
}

// arm makes the request about to run watchable.
func (c *h1Conn) arm() {
	c.reqStart.Store(time.Now().UnixNano())
	c.watch.Store(watchArmed)
}

// unwatch ends the watch of the request that just ran, if it was watched,
// and reports whether the connection is still usable: false when its
// client went away.
func (c *h1Conn) unwatch() bool {
	if c.watch.Load() == watchOff || c.watch.CompareAndSwap(watchArmed, watchOff) {
		return true
	}
	// A background read is running, or about to: stop it.
	c.watchMu.Lock()
	c.stopping = true
	c.rwc.SetReadDeadline(aLongTimeAgo)
	c.watchMu.Unlock()
	<-c.watchDone
	c.stopping = false
	c.rwc.SetReadDeadline(time.Time{})
	c.watch.Store(watchOff)
	return !c.gone
}

// backgroundRead waits for one byte or the end of the connection. It runs
// while the request's goroutine is in the handler, which does not read the
// connection, and hands its results over through watchDone.
func (c *h1Conn) backgroundRead() {
	defer func() { c.watchDone <- struct{}{} }()
	for {
		n, err := c.rwc.Read(c.stash[:])
		c.stashed = n > 0
		var ne net.Error
		if n > 0 || err == nil {
			return
		}
		if !errors.As(err, &ne) || !ne.Timeout() {
			c.gone = true
			c.cancel(errClientGone)
			return
		}
		// A timeout: unwatch stopping this read, or the idle deadline
		// the request's head was read under, which must not end the
		// watch of a request that runs longer.
		c.watchMu.Lock()
		stopping := c.stopping
		if !stopping {
			c.rwc.SetReadDeadline(time.Time{})
		}
		c.watchMu.Unlock()
		if stopping {
			return
		}
	}
}

// watchLoop starts a background read on each connection whose request has
// run for watchAfter, until Serve has returned and the last connection is
// gone.
func (s *Server) watchLoop() {
	t := time.NewTicker(watchAfter / 2)
	defer t.Stop()
	for now := range t.C {
		due := now.Add(-watchAfter).UnixNano()
		s.mu.Lock()
		for c := range s.conns {
			if c.watch.Load() == watchArmed && c.reqStart.Load() <= due && c.watch.CompareAndSwap(watchArmed, watchRunning) {
				go c.backgroundRead()
			}
		}
		done := s.serveDone.Load() && len(s.conns) == 0
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// connReader is what the connection's bufio.Reader reads: the byte a
// background read took, if any, then the connection.
type connReader struct{ c *h1Conn }

func (r connReader) Read(p []byte) (int, error) {
	if r.c.stashed && len(p) > 0 {
		p[0] = r.c.stash[0]
		r.c.stashed = false
		return 1, nil
	}
	return r.c.rwc.Read(p)
}

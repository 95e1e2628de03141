//go:build unix

package h1

import (
	"net"
	"syscall"
)

// idleProbe looks at an idle connection's socket with one non-blocking
// read that does not wait: an idle HTTP/1.1 connection has nothing to
// say, so a byte or an end of stream means it cannot be reused. It is made
// once per connection, so that a check allocates nothing.
type idleProbe struct {
	rc    syscall.RawConn // nil: the connection has no descriptor to probe
	read  func(fd uintptr) bool
	buf   [1]byte
	quiet bool // the last read found nothing to read
	stray bool // the last read found a byte
}

func newIdleProbe(nc net.Conn) *idleProbe {
	p := &idleProbe{}
	if sc, ok := nc.(syscall.Conn); ok {
		rc, err := sc.SyscallConn()
		if err == nil {
			p.rc = rc
		}
	}
	p.read = func(fd uintptr) bool {
		n, err := syscall.Read(int(fd), p.buf[:])
		p.stray = n > 0
		p.quiet = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR
		return true // never wait for the descriptor to become readable
	}
	return p
}

// check reports whether the connection is still open with nothing to
// read, and whether it had a byte to read (not merely an end of stream).
func (p *idleProbe) check() (alive, stray bool) {
	if p.rc == nil {
		return true, false
	}
	p.quiet, p.stray = false, false
	alive = p.rc.Read(p.read) == nil && p.quiet
	return alive, p.stray
}

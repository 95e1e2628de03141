//go:build unix

package h1

import (
	"net"
	"syscall"
)

// connAlive reports whether nc is still open with nothing to read, with one
// non-blocking read that does not wait: an idle HTTP/1.1 connection has
// nothing to say, so a byte or an end of stream means it cannot be reused.
func connAlive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, rerr := syscall.Read(int(fd), buf[:])
		alive = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK || rerr == syscall.EINTR
		return true // never wait for the descriptor to become readable
	})
	return err == nil && alive
}

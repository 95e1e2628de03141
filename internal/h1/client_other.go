//go:build !unix

package h1

import "net"

// idleProbe cannot look at the socket without reading from it here; a
// closed connection shows when the request is sent on it.
type idleProbe struct{}

func newIdleProbe(net.Conn) *idleProbe { return &idleProbe{} }

func (*idleProbe) check() (alive, stray bool) { return true, false }

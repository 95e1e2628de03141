//go:build !unix

package loopback

import "net"

// boundNotListening falls back to a port that was free a moment ago.
func boundNotListening() (addr string, release func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}

//go:build unix

package h1

import "syscall"

// DefaultMaxConns is the connection limit of a Server whose MaxConns is 0:
// half of the descriptors the process may open (RLIMIT_NOFILE) once 64 are
// set aside for files, listeners and the like, since every client
// connection the gateway proxies holds an upstream connection too. It is 0
// (no limit) when the limit cannot be read.
func DefaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	// An unlimited RLIMIT_NOFILE reads as the largest value.
	n := int64(min(uint64(rl.Cur), 1<<30))
	return int(max((n-64)/2, 16))
}

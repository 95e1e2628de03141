//go:build !unix

package h1

// DefaultMaxConns is 0 (no limit) where the descriptor limit cannot be
// read.
func DefaultMaxConns() int { return 0 }

// Package loopback gives tests addresses on 127.0.0.1 with a known
// behaviour.
package loopback

import "testing"

// RefusedAddr returns a 127.0.0.1 address that refuses connections for as
// long as t runs. A port taken from a listener and closed may be handed to
// another test's server in the meantime; this one stays bound, so no one
// can, and it never listens.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	addr, release, err := boundNotListening()
	if err != nil {
		t.Fatalf("reserving a refusing port: %v", err)
	}
	t.Cleanup(release)
	return addr
}

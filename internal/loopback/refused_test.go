package loopback_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/loopback"
)

func TestRefusedAddrRefuses(t *testing.T) {
	addr := loopback.RefusedAddr(t)
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s succeeded, want it refused", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", addr, err)
		}
	}
}

package syncbuf_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/internal/syncbuf"
)

// TestConcurrentWrites: writers on many goroutines and a reader at once
// (run with -race) lose nothing.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Errorf("%d bytes, want 800", len(got))
	}
}

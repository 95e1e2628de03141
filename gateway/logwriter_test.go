package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/gateway"
)

func TestLogWriter(t *testing.T) {
	out := &syncBuffer{}
	l := gateway.NewLogWriter(out)
	l.Write([]byte("one\n"))
	l.Write([]byte("two\n"))
	// Lines arrive within the flush interval without any further write.
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "one\ntwo\n" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after the flush interval: %q", got)
	}
	l.Write([]byte(strings.Repeat("x", 10) + "\n"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "xxxxxxxxxx\n") {
		t.Errorf("Close did not flush: %q", got)
	}
}

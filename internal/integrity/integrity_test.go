package integrity_test

import (
	"context"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/integrity"
)

// TestNoCrossedAnswers runs the integrity check for 30 s: 64 clients, the
// misbehaving upstreams, a config swap every 200 ms and clients leaving
// in the middle of slow answers. No answer may hold another request's id,
// and the well-behaved requests must get their own answers.
func TestNoCrossedAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 30 s")
	}
	r, err := integrity.Run(context.Background(), integrity.Options{
		Clients:     64,
		Duration:    30 * time.Second,
		ReloadEvery: 200 * time.Millisecond,
		LeaveOneIn:  4,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.String())
	if r.Total.Crossed != 0 {
		t.Errorf("%d crossed answers", r.Total.Crossed)
	}
	for _, name := range []string{"calm/ok", "mixed/ok", "mixed/post", "mixed/big"} {
		c := r.ByBehaviour[name]
		if c.Requests == 0 {
			t.Errorf("%s: no request was sent", name)
			continue
		}
		// A well-behaved request may meet a connection that a misbehaving
		// upstream breaks as it is taken; one in a hundred is a lot.
		if c.Failed*100 > c.Requests {
			t.Errorf("%s: %d of %d requests failed", name, c.Failed, c.Requests)
		}
	}
	if r.Reloads == 0 || r.Total.Left == 0 {
		t.Errorf("%d config swaps and %d clients leaving mid-answer, want both", r.Reloads, r.Total.Left)
	}
}

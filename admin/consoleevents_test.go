package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/decisions"
)

// BenchmarkEventTick measures the work of one tick of an open console's
// event stream, in the worst case: the ring full of new decisions and every
// one of decisions.MaxGroups groups changed since the last event. The
// stream does it at most every eventInterval; console.sh relates it to the
// gateway's own work (bench/README.md).
func BenchmarkEventTick(b *testing.B) {
	p, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	var l decisions.Log
	now := time.Now()
	record := func() {
		for i := range decisions.MaxGroups {
			r := httptest.NewRequest("GET", "http://api.example.com/users/1", nil)
			r.Header.Set("Origin", fmt.Sprintf("https://site-%d.example.net", i))
			d := p.Decide(r)
			l.Record(now, "users", r, &d)
		}
	}
	record()
	c := &console{log: &l}
	sent := map[uint64]bool{}
	for _, g := range l.Read(0, 0, now).Groups {
		sent[g.ID] = true // every group sent before
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		// New decisions in every group since the previous tick.
		record()
		after := l.Read(0, 1, now).Seq - decisions.MaxGroups
		b.StartTimer()
		ev := c.event(context.Background(), l.Read(after, eventEntries, now), sent, false)
		if len(ev.Updates) != decisions.MaxGroups {
			b.Fatalf("%d updates, want every group", len(ev.Updates))
		}
		if _, err := json.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
}

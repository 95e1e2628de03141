package decisions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/decisions"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func policy(t testing.TB) *cors.Policy {
	t.Helper()
	p, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "PUT"}, AllowHeaders: []string{"Content-Type"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(method, origin string, h ...string) *http.Request {
	r := httptest.NewRequest(method, "http://api.example.com/users/1", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(h); i += 2 {
		r.Header.Set(h[i], h[i+1])
	}
	return r
}

func record(l *decisions.Log, p *cors.Policy, at time.Time, route string, r *http.Request) {
	d := p.Decide(r)
	l.Record(at, route, r, &d)
}

func TestLogGroups(t *testing.T) {
	p := policy(t)
	var l decisions.Log
	record(&l, p, t0, "users", request("GET", "https://app.example.com"))
	record(&l, p, t0, "users", request("GET", "https://evil.example"))
	record(&l, p, t0.Add(time.Second), "users", request("GET", "https://evil.example"))
	record(&l, p, t0.Add(time.Second), "users", request("OPTIONS", "https://app.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-debug"))
	record(&l, p, t0, "users", request("GET", "")) // no Origin: not recorded

	b := l.Read(0, 0, t0.Add(time.Second))
	if b.Seq != 4 || len(b.Entries) != 4 {
		t.Fatalf("seq %d, %d entries; want 4, 4", b.Seq, len(b.Entries))
	}
	got := map[string]uint64{}
	for _, g := range b.Groups {
		got[g.Route+" "+g.Origin+" "+g.Reason+" "+g.Detail] = g.Count
	}
	want := map[string]uint64{
		"users https://app.example.com allowed ":                    1,
		"users https://evil.example origin-not-allowed ":            2,
		"users https://app.example.com headers-not-allowed x-debug": 1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if b.Groups[0].Reason != "headers-not-allowed" && b.Groups[0].Reason != "origin-not-allowed" {
		t.Errorf("first group %+v: want one seen last", b.Groups[0])
	}
	for _, g := range b.Groups {
		if g.Reason == "headers-not-allowed" {
			if g.Sample.Method != "PUT" || len(g.Sample.Headers) != 1 || g.Sample.Headers[0].Name != "x-debug" {
				t.Errorf("preflight sample %+v: want PUT with x-debug", g.Sample)
			}
		}
	}
	last := b.Rates[len(b.Rates)-1]
	prev := b.Rates[len(b.Rates)-2]
	if last.Time != t0.Unix()+1 || last.Allowed != 0 || last.Refused != 2 || prev.Allowed != 1 || prev.Refused != 1 {
		t.Errorf("rates end with %+v %+v; want 1 allowed 1 refused, then 2 refused", prev, last)
	}
	if b2 := l.Read(b.Seq, 0, t0); len(b2.Entries) != 0 || len(b2.Groups) != 0 {
		t.Errorf("read after seq %d: %d entries, %d groups; want none", b.Seq, len(b2.Entries), len(b2.Groups))
	}
	record(&l, p, t0.Add(2*time.Second), "users", request("GET", "https://evil.example"))
	if b3 := l.Read(b.Seq, 0, t0); len(b3.Entries) != 1 || len(b3.Groups) != 1 || b3.Groups[0].Count != 3 {
		t.Errorf("read after a new decision: %d entries, groups %+v; want the evil group, count 3", len(b3.Entries), b3.Groups)
	}
}

func TestLogBounds(t *testing.T) {
	p := policy(t)
	var l decisions.Log
	n := decisions.MaxGroups + 50
	for i := range n {
		record(&l, p, t0, "users", request("GET", fmt.Sprintf("https://o%d.example", i)))
	}
	long := "https://" + strings.Repeat("a", 300) + ".example"
	record(&l, p, t0, "users", request("GET", long))
	b := l.Read(0, 0, t0)
	if len(b.Entries) != decisions.RingSize {
		t.Errorf("%d entries, want the ring's %d", len(b.Entries), decisions.RingSize)
	}
	if len(b.Groups) != decisions.MaxGroups || b.Overflow != 51 {
		t.Errorf("%d groups, overflow %d; want %d, 51", len(b.Groups), b.Overflow, decisions.MaxGroups)
	}
	if newest := l.Read(0, 3, t0).Entries; len(newest) != 3 || newest[2].Seq != uint64(n+1) {
		t.Errorf("Read with max 3: %d entries, want the 3 newest", len(newest))
	}
	e := b.Entries[len(b.Entries)-1]
	if !e.Cut || len(e.Origin) != decisions.MaxField || e.Seq != uint64(n+1) {
		t.Errorf("last entry %+v: want the long origin, cut to %d bytes", e, decisions.MaxField)
	}
	// Idle groups make room for new ones.
	later := t0.Add(decisions.IdleGroup + time.Minute)
	record(&l, p, later, "users", request("GET", "https://new.example"))
	b = l.Read(0, 0, later)
	if len(b.Groups) != 1 || b.Groups[0].Origin != "https://new.example" {
		t.Errorf("after the idle time: %d groups, first %+v; want only the new one", len(b.Groups), b.Groups[0])
	}
}

func TestRecordAllocatesNothingForAKnownGroup(t *testing.T) {
	p := policy(t)
	var l decisions.Log
	r := request("OPTIONS", "https://evil.example", "Access-Control-Request-Method", "PUT")
	d := p.Decide(r)
	l.Record(t0, "users", r, &d)
	if n := testing.AllocsPerRun(100, func() { l.Record(t0, "users", r, &d) }); n != 0 {
		t.Errorf("Record allocates %v times per call", n)
	}
}

func BenchmarkRecord(b *testing.B) {
	p := policy(b)
	var l decisions.Log
	for _, bc := range []struct{ name, origin string }{{"refused", "https://evil.example"}, {"allowed", "https://app.example.com"}} {
		r := request("GET", bc.origin)
		d := p.Decide(r)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			now := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.Record(now, "users", r, &d)
				}
			})
		})
	}
}

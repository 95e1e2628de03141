package gateway

import (
	"strconv"
	"testing"
)

// TestRouteMetricsCountEveryStatus counts more distinct statuses on one
// route than it keeps counters for, from several goroutines: each must
// still be counted under its own label, exactly.
func TestRouteMetricsCountEveryStatus(t *testing.T) {
	m := NewMetrics()
	rm := m.forRoute("r", true)
	statuses := []int{200, 204, 301, 304, 400, 403, 404, 405, 413, 429, 499, 502, 504, 599}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				for _, s := range statuses {
					rm.request(s)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "crossgate_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "status" {
					got[l.GetValue()] = s.GetCounter().GetValue()
				}
			}
		}
	}
	if len(got) != len(statuses) {
		t.Errorf("%d status series, want %d: %v", len(got), len(statuses), got)
	}
	for _, s := range statuses {
		if n := got[strconv.Itoa(s)]; n != 200 {
			t.Errorf("status %d counted %v times, want 200", s, n)
		}
	}
}

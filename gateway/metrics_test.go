package gateway_test

import (
	"testing"
)

// TestPerRouteMetrics checks the route label of every route series: the
// route's id with per-route series on, "*" for every route with them off,
// so that a config of any size makes a scrape of one size.
func TestPerRouteMetrics(t *testing.T) {
	const cfg = `
metrics: {per_route: %s}
policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r1, path_prefix: /1/, upstream: u, cors: web}
  - {id: r2, path_prefix: /2/, upstream: u, cors: web}
`
	up := newUpstream(t, nil)
	for _, tt := range []struct {
		setting string
		labels  map[string]float64 // route label: requests with status 200
	}{
		{"on", map[string]float64{"r1": 1, "r2": 1}},
		{"off", map[string]float64{"*": 2}},
	} {
		t.Run(tt.setting, func(t *testing.T) {
			gw, g := startGateway(t, cfg, tt.setting, up.URL)
			for _, p := range []string{"/1/x", "/2/x"} {
				resp := do(t, "GET", gw.URL+p, map[string]string{"Origin": "https://app.example.com"})
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: %d", p, resp.StatusCode)
				}
			}
			for route, want := range tt.labels {
				if got := metricValue(t, g, "crossgate_requests_total", "route", route, "status", "200"); got != want {
					t.Errorf(`crossgate_requests_total{route=%q,status="200"} = %v, want %v`, route, got, want)
				}
			}
			families, err := g.Metrics().Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range families {
				for _, m := range f.GetMetric() {
					for _, l := range m.GetLabel() {
						if _, ok := tt.labels[l.GetValue()]; l.GetName() == "route" && !ok {
							t.Errorf("%s has a series of route %q", f.GetName(), l.GetValue())
						}
					}
				}
			}
		})
	}
}

package lint

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
)

// unreachableQuadratic is unreachableRoute as it was first written:
// every route compared with every earlier one. The indexed rule must find
// the same routes, shadowed by the same earlier ones.
func unreachableQuadratic(routes []*config.Route) []string {
	var out []string
	for j, b := range routes {
		for i, a := range routes[:j] {
			if a.Path != b.Path || a.PathPrefix != b.PathPrefix ||
				(len(a.Hosts) == 0) != (len(b.Hosts) == 0) ||
				!covers(a.Hosts, b.Hosts, strings.EqualFold) || !covers(a.ServedMethods(), b.Methods, func(x, y string) bool { return x == y }) {
				continue
			}
			out = append(out, fmt.Sprintf("%d by %d", j, i))
			break
		}
	}
	return out
}

func TestUnreachableRouteMatchesQuadratic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2026))
	hosts := []string{"a.test", "A.test", "b.test"}
	methods := [][]string{nil, {"GET"}, {"POST"}, {"GET", "POST"}, {"HEAD"}}
	paths := []string{"/", "/a", "/a/"}
	found := 0
	for n := range 20_000 {
		routes := make([]*config.Route, 1+rng.IntN(7))
		for i := range routes {
			r := &config.Route{ID: fmt.Sprint(i), Methods: methods[rng.IntN(len(methods))]}
			for range rng.IntN(3) {
				r.Hosts = append(r.Hosts, hosts[rng.IntN(len(hosts))])
			}
			if rng.IntN(2) == 0 {
				r.Path = paths[rng.IntN(len(paths))]
			} else {
				r.PathPrefix = paths[rng.IntN(len(paths))]
			}
			routes[i] = r
		}
		l := &linter{c: &config.Config{Routes: routes}}
		l.unreachableRoute()
		var got []string
		for _, f := range l.findings {
			var j int
			fmt.Sscanf(f.Path, "routes[%d]", &j)
			var by string
			for i, r := range routes {
				if strings.Contains(f.Message, fmt.Sprintf("route %q (line", r.ID)) {
					by = fmt.Sprint(i)
				}
			}
			got = append(got, fmt.Sprintf("%d by %s", j, by))
		}
		if want := unreachableQuadratic(routes); !slices.Equal(got, want) {
			t.Fatalf("table %d: unreachable %v, want %v", n, got, want)
		}
		found += len(got)
	}
	if found < 1000 {
		t.Errorf("only %d unreachable routes in 20,000 tables: the tables do not exercise the rule", found)
	}
}

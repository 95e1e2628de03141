package gateway

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// linearRouter is the router as it was before the tree: every route in match
// order, tried one after the other. It states the match order in the
// fewest words, and the tree router must agree with it on every request.
type linearRouter struct {
	routes []*route
}

func newLinearRouter(routes []*route) *linearRouter {
	sorted := slices.Clone(routes)
	slices.SortStableFunc(sorted, func(a, b *route) int {
		if (len(a.hosts) > 0) != (len(b.hosts) > 0) {
			if len(a.hosts) > 0 {
				return -1
			}
			return 1
		}
		if (a.path != "") != (b.path != "") {
			if a.path != "" {
				return -1
			}
			return 1
		}
		return len(b.prefix) - len(a.prefix)
	})
	return &linearRouter{routes: sorted}
}

func (rt *linearRouter) match(host, path, method string) (r *route, wrongMethod *route) {
	host = hostOnly(host)
	for _, r := range rt.routes {
		if !linearMatchesHost(r, host) || !linearMatchesPath(r, path) {
			continue
		}
		if r.allowsMethod(method) {
			return r, nil
		}
		if wrongMethod == nil {
			wrongMethod = r
		}
	}
	return nil, wrongMethod
}

func (rt *linearRouter) allow(host, path string) string {
	host = hostOnly(host)
	var methods []string
	for _, r := range rt.routes {
		if !linearMatchesHost(r, host) || !linearMatchesPath(r, path) {
			continue
		}
		for _, m := range r.methods {
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
	}
	return strings.Join(methods, ", ")
}

func linearMatchesHost(r *route, host string) bool {
	if len(r.hosts) == 0 {
		return true
	}
	for _, h := range r.hosts {
		if len(h) == len(host) && strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

func linearMatchesPath(r *route, path string) bool {
	if r.path != "" {
		return path == r.path
	}
	return strings.HasPrefix(path, r.prefix)
}

// TestRouterMatchesLinear compares the tree router with the linear one on
// random route tables and requests drawn from small alphabets, so that
// routes overlap: same and nested prefixes, exact paths under prefixes,
// hosts in several cases, ports and brackets, methods that leave gaps.
func TestRouterMatchesLinear(t *testing.T) {
	const tables, requestsPerTable = 100_000, 4
	rng := rand.New(rand.NewPCG(12, 2026))
	hosts := []string{"a.test", "b.test", "::1", "ab.test"}
	requestHosts := []string{"a.test", "A.Test", "a.test:8080", "b.test", "[::1]:443", "[::1]", "ab.test", "c.test", "", "k.test"}
	methodSets := [][]string{nil, {"GET"}, {"POST"}, {"GET", "POST"}, {"PUT", "DELETE"}, {"GET", "HEAD"}}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}
	path := func(maxLen int) string {
		var b strings.Builder
		b.WriteByte('/')
		for range rng.IntN(maxLen + 1) {
			b.WriteByte("ab/"[rng.IntN(3)])
		}
		return b.String()
	}
	mismatches := 0
	for n := range tables {
		routes := make([]*route, 1+rng.IntN(8))
		for i := range routes {
			r := &route{id: string(rune('A' + i))}
			for range rng.IntN(3) {
				r.hosts = append(r.hosts, hosts[rng.IntN(len(hosts))])
			}
			if rng.IntN(3) == 0 {
				r.path = path(4)
			} else {
				r.prefix = path(3)
			}
			ms := methodSets[rng.IntN(len(methodSets))]
			r.methods = servedMethods(ms)
			routes[i] = r
		}
		tree, linear := newRouter(routes), newLinearRouter(routes)
		for range requestsPerTable {
			host, p, m := requestHosts[rng.IntN(len(requestHosts))], path(6), methods[rng.IntN(len(methods))]
			gotR, gotW := tree.match(host, p, m)
			wantR, wantW := linear.match(host, p, m)
			gotA, wantA := tree.allow(host, p), linear.allow(host, p)
			if gotR != wantR || gotW != wantW || gotA != wantA {
				mismatches++
				if mismatches <= 5 {
					t.Errorf("table %d: %s %s%s: got route %s, 405 route %s, Allow %q; linear router: %s, %s, %q\nroutes: %s",
						n, m, host, p, id(gotR), id(gotW), gotA, id(wantR), id(wantW), wantA, describeRoutes(routes))
				}
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d requests routed differently", mismatches, tables*requestsPerTable)
	}
}

// servedMethods adds HEAD after GET as config.Route.ServedMethods does.
func servedMethods(ms []string) []string {
	if i := slices.Index(ms, "GET"); i >= 0 && !slices.Contains(ms, "HEAD") {
		return slices.Insert(slices.Clone(ms), i+1, "HEAD")
	}
	return ms
}

func id(r *route) string {
	if r == nil {
		return "none"
	}
	return r.id
}

func describeRoutes(routes []*route) string {
	var b strings.Builder
	for _, r := range routes {
		b.WriteString("\n  " + r.id + " hosts=" + strings.Join(r.hosts, ",") + " path=" + r.path + " prefix=" + r.prefix + " methods=" + strings.Join(r.methods, ","))
	}
	return b.String()
}

// BenchmarkRouter matches a request for the last route of tables of 1 to
// 100,000 routes shaped as bench/routes.sh's configs (route i: prefix
// /r<i>/, any host, any method), the last route being the one a linear
// scan reaches last.
func BenchmarkRouter(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000, 100000} {
		routes := make([]*route, n)
		for i := range routes {
			routes[i] = &route{id: "r" + strconv.Itoa(i), prefix: "/r" + strconv.Itoa(i) + "/"}
		}
		last := routes[n-1]
		path := last.prefix + "users/1"
		for _, c := range []struct {
			name  string
			match func(host, path, method string) (*route, *route)
		}{
			{"tree", newRouter(routes).match},
			{"linear", newLinearRouter(routes).match},
		} {
			if c.name == "linear" && n > 10000 {
				continue
			}
			b.Run(fmt.Sprintf("routes=%d/%s", n, c.name), func(b *testing.B) {
				if r, _ := c.match("127.0.0.1:8080", path, "GET"); r != last {
					b.Fatalf("matched %v, want the last route", r)
				}
				loop(b, func() { c.match("127.0.0.1:8080", path, "GET") })
			})
		}
	}
}

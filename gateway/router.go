package gateway

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
)

// router picks the route of a request: by host (routes naming the request's
// host before routes naming none), then exact path before path prefix, the
// longest prefix first, then method; among routes equal in all that, the
// first in the config. The table is built once per snapshot and never
// changed.
//
// A request costs what its host, path and method cost, not what the number
// of routes does, as nginx's server names and locations and APISIX's radix
// tree: hosts are keys of a map, exact paths keys of a map per host, and
// prefixes a radix tree per host, walked along the request's path so that
// the longest matching prefix comes first and shorter ones follow when its
// routes do not serve the method.
type router struct {
	hosts map[string]*pathTable // by host in lower case, without port
	any   pathTable             // routes that name no host
}

// pathTable holds the routes of one host (or of none) by path.
type pathTable struct {
	exact    map[string][]*route // in match order
	prefixes radixNode
}

// radixNode is a node of a radix tree of path prefixes: its part, then a
// child for each different next byte.
type radixNode struct {
	part     string // what the node adds to its parent's prefix
	labels   []byte // the first byte of each child's part
	children []*radixNode
	routes   []*route // whose prefix ends here, in match order
}

func newRouter(routes []*route) *router {
	sorted := slices.Clone(routes)
	// Exact paths before prefixes and longer prefixes first only order the
	// routes of one table; what the sort still decides is the config order
	// among equals, which a stable sort keeps.
	slices.SortStableFunc(sorted, func(a, b *route) int {
		if (a.path != "") != (b.path != "") {
			if a.path != "" {
				return -1
			}
			return 1
		}
		return len(b.prefix) - len(a.prefix)
	})
	rt := &router{hosts: make(map[string]*pathTable)}
	for _, r := range sorted {
		if len(r.hosts) == 0 {
			rt.any.add(r)
			continue
		}
		for i, h := range r.hosts {
			if slices.Contains(r.hosts[:i], h) {
				continue
			}
			t := rt.hosts[h]
			if t == nil {
				t = &pathTable{}
				rt.hosts[h] = t
			}
			t.add(r)
		}
	}
	return rt
}

func (t *pathTable) add(r *route) {
	if r.path != "" {
		if t.exact == nil {
			t.exact = make(map[string][]*route)
		}
		t.exact[r.path] = append(t.exact[r.path], r)
		return
	}
	t.prefixes.add(r.prefix, r)
}

// add puts r under key, the rest of its prefix after n's part.
func (n *radixNode) add(key string, r *route) {
	for key != "" {
		i := bytes.IndexByte(n.labels, key[0])
		if i < 0 {
			n.labels = append(n.labels, key[0])
			n.children = append(n.children, &radixNode{part: key, routes: []*route{r}})
			return
		}
		c := n.children[i]
		l := commonPrefix(key, c.part)
		if l < len(c.part) {
			// Split c where key leaves it.
			mid := &radixNode{part: c.part[:l], labels: []byte{c.part[l]}, children: []*radixNode{c}}
			c.part = c.part[l:]
			n.children[i] = mid
			c = mid
		}
		n, key = c, key[l:]
	}
	n.routes = append(n.routes, r)
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// match returns the route for host, path and method, and whether a route
// matched the host and path but not the method (so the gateway answers 405
// instead of 404).
func (rt *router) match(host, path, method string) (r *route, wrongMethod *route) {
	if t := rt.hostTable(host); t != nil {
		if r := t.match(path, method, &wrongMethod); r != nil {
			return r, nil
		}
	}
	if r := rt.any.match(path, method, &wrongMethod); r != nil {
		return r, nil
	}
	return nil, wrongMethod
}

// hostTable returns the table of the routes that name host, or nil.
func (rt *router) hostTable(host string) *pathTable {
	if len(rt.hosts) == 0 {
		return nil
	}
	return rt.hosts[hostKey(host)]
}

func (t *pathTable) match(path, method string, wrong **route) *route {
	if r := pick(t.exact[path], method, wrong); r != nil {
		return r
	}
	return t.prefixes.match(path, method, wrong)
}

// match returns the first route serving method among those of the prefixes
// of path, the longest first; path is what follows n's part in the
// request's path.
func (n *radixNode) match(path, method string, wrong **route) *route {
	if path != "" {
		if i := bytes.IndexByte(n.labels, path[0]); i >= 0 {
			c := n.children[i]
			if strings.HasPrefix(path, c.part) {
				if r := c.match(path[len(c.part):], method, wrong); r != nil {
					return r
				}
			}
		}
	}
	return pick(n.routes, method, wrong)
}

// pick returns the first of routes that serves method; when none does, it
// records the first of them in wrong unless an earlier one is there.
func pick(routes []*route, method string, wrong **route) *route {
	for _, r := range routes {
		if r.allowsMethod(method) {
			return r
		}
		if *wrong == nil {
			*wrong = r
		}
	}
	return nil
}

// allow lists, for an Allow header, the methods that some route serves on
// host and path, in the routes' match order. It is called only when
// no route serves every method there, after a match found none for the
// request's.
func (rt *router) allow(host, path string) string {
	var methods []string
	add := func(routes []*route) {
		for _, r := range routes {
			for _, m := range r.methods {
				if !slices.Contains(methods, m) {
					methods = append(methods, m)
				}
			}
		}
	}
	if t := rt.hostTable(host); t != nil {
		t.each(path, add)
	}
	rt.any.each(path, add)
	return strings.Join(methods, ", ")
}

// each calls f with the routes of path, in match order.
func (t *pathTable) each(path string, f func([]*route)) {
	f(t.exact[path])
	t.prefixes.each(path, f)
}

func (n *radixNode) each(path string, f func([]*route)) {
	if path != "" {
		if i := bytes.IndexByte(n.labels, path[0]); i >= 0 {
			if c := n.children[i]; strings.HasPrefix(path, c.part) {
				c.each(path[len(c.part):], f)
			}
		}
	}
	f(n.routes)
}

// allowsMethod reports whether the route serves method m: any method when
// it lists none. The list is config.Route.ServedMethods, HEAD included
// wherever GET is.
func (r *route) allowsMethod(m string) bool {
	return len(r.methods) == 0 || slices.Contains(r.methods, m)
}

// hostKey returns the key of a Host header value in router.hosts: without
// port, brackets or upper-case ASCII letters. Config hosts are ASCII, so a
// host with other bytes matches none whatever their case, and those bytes
// are left as they are. It allocates only for a host with upper case.
func hostKey(h string) string {
	h = hostOnly(h)
	for i := 0; i < len(h); i++ {
		if 'A' <= h[i] && h[i] <= 'Z' {
			return asciiLower(h)
		}
	}
	return h
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// hostOnly strips the port from a Host header value.
func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// isPreflight reports whether r is a CORS preflight, whose route is chosen
// by the method it asks for rather than by OPTIONS.
func isPreflight(r *http.Request) bool {
	if r.Method != http.MethodOptions {
		return false
	}
	_, o := r.Header["Origin"]
	_, m := r.Header["Access-Control-Request-Method"]
	return o && m
}

package gateway

import (
	"net/http"
	"slices"
	"strings"
)

// router picks the route of a request: by host (routes naming the request's
// host before routes naming none), then exact path before path prefix, the
// longest prefix first, then method. The table is built once per snapshot
// and never changed.
type router struct {
	routes []*route // in match order
}

func newRouter(routes []*route) *router {
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
	return &router{routes: sorted}
}

// match returns the route for host, path and method, and whether a route
// matched the host and path but not the method (so the gateway answers 405
// instead of 404).
func (rt *router) match(host, path, method string) (r *route, wrongMethod *route) {
	host = hostOnly(host)
	for _, r := range rt.routes {
		if !r.matchesHost(host) || !r.matchesPath(path) {
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

// allow lists, for an Allow header, the methods that some route serves on
// host and path, in the routes' match order. It is called only when
// no route serves every method there, after a match found none for the
// request's.
func (rt *router) allow(host, path string) string {
	host = hostOnly(host)
	var methods []string
	for _, r := range rt.routes {
		if !r.matchesHost(host) || !r.matchesPath(path) {
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

func (r *route) matchesHost(host string) bool {
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

func (r *route) matchesPath(path string) bool {
	if r.path != "" {
		return path == r.path
	}
	return strings.HasPrefix(path, r.prefix)
}

// allowsMethod reports whether the route serves method m: any method when
// it lists none. The list is config.Route.ServedMethods, HEAD included
// wherever GET is.
func (r *route) allowsMethod(m string) bool {
	return len(r.methods) == 0 || slices.Contains(r.methods, m)
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

package gateway

import (
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/decisions"
)

// Explain returns how the gateway answers r, found as ServeHTTP finds it
// but without calling an upstream, counting, logging or recording
// anything: the route, its policy and mode, the policy's decision, and the
// status and headers the gateway writes. A request the gateway forwards
// has Status 0 and the headers the gateway puts on the upstream's answer.
// CSRF checks are not run: they depend on cookies and Sec-Fetch-Site,
// which a page does not control. In upstream and shadow modes the answer
// is what the gateway's own policy would send, as a gateway-mode policy.
func (g *Gateway) Explain(r *http.Request) decisions.Answer {
	s := g.cur.Load()
	rt, wrong := s.route(r)
	a := decisions.Answer{Header: http.Header{}}
	switch {
	case rt == nil && wrong == nil:
		a.Status = http.StatusNotFound
		return a
	case rt == nil:
		rt = wrong
		a.Status = http.StatusMethodNotAllowed
		a.Header.Set("Allow", s.router.allow(r.Host, r.URL.Path))
	}
	a.Route = rt.id
	p := rt.policy
	if p == nil {
		return a
	}
	a.Policy, a.Mode = p.name, p.mode.String()
	a.Decision = p.cors.Decide(r)
	d := &a.Decision
	d.Apply(a.Header)
	switch {
	case d.Kind == cors.Preflight:
		if !d.Allowed {
			a.Header.Set(ReasonHeader, refusal(d))
		}
		a.Status = d.Status
	case a.Status == 0 && p.enforceOrigin && d.Kind == cors.Actual && !d.Allowed:
		a.Status = http.StatusForbidden
	}
	return a
}

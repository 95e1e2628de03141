package gateway

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
)

// New builds a Gateway serving cfg, which must have passed config
// validation.
func New(cfg *config.Config, o Options) (*Gateway, error) {
	g := newGateway(o)
	if err := g.Swap(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// Swap builds a snapshot of cfg and makes it the one every new request is
// served by; requests in flight finish on the snapshot they started with.
// On error nothing changes. What cfg shares with the config being served
// is not built again: an upstream, a policy or a route equal to the one of
// the same name in the current snapshot is taken over from it, its
// connections, target health, compiled origins and metrics with it, so
// that a change to one policy or route costs what that policy or route
// costs. The health checks of the old snapshot stop and those of the new
// one start.
func (g *Gateway) Swap(cfg *config.Config) error {
	g.swapMu.Lock()
	defer g.swapMu.Unlock()
	s, err := g.build(cfg, g.cur.Load())
	if err != nil {
		return err
	}
	old := g.cur.Swap(s)
	if old != nil {
		old.stopChecks()
		old.closeIdle(s)
	}
	s.startChecks()
	return nil
}

// Close stops the health checks of the snapshot being served. The gateway
// still serves requests, without them.
func (g *Gateway) Close() {
	g.swapMu.Lock()
	defer g.swapMu.Unlock()
	if s := g.cur.Load(); s != nil {
		s.stopChecks()
	}
}

// build compiles cfg into a snapshot, taking over from prev (nil for none)
// what has not changed. An upstream built anew keeps the health of the
// same targets of prev's upstream of the same id.
func (g *Gateway) build(cfg *config.Config, prev *snapshot) (*snapshot, error) {
	if prev == nil {
		prev = &snapshot{}
	}
	s := &snapshot{
		cfg:       cfg,
		upstreams: make(map[string]*upstream, len(cfg.Upstreams)),
		confs:     make(map[string]*config.Upstream, len(cfg.Upstreams)),
		policies:  make(map[string]*policy, len(cfg.Policies)),
		routes:    make(map[string]*route, len(cfg.Routes)),
	}
	for id, u := range cfg.Upstreams {
		s.confs[id] = u
		if old := prev.upstreams[id]; old != nil && prev.confs[id].Equal(u) {
			s.upstreams[id] = old
			continue
		}
		var targets []*url.URL
		for _, t := range u.Targets {
			tu, err := url.Parse(t)
			if err != nil {
				return nil, fmt.Errorf("upstream %q: target %q: %v", id, t, err)
			}
			targets = append(targets, tu)
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("upstream %q has no targets", id)
		}
		up := newUpstream(id, targets, u.Timeout)
		up.configure(u, prev.health(id), g.log)
		if old := prev.upstreams[id]; old != nil {
			up.keepQuarantines(old)
		}
		s.upstreams[id] = up
	}
	perRoute := cfg.PerRouteMetrics()
	routes := make([]*route, 0, len(cfg.Routes))
	for _, r := range cfg.Routes {
		old := prev.routes[r.ID]
		if old != nil && !old.conf.Equal(r) {
			old = nil
		}
		pol, err := s.policy(cfg, r, old, prev)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r.ID, err)
		}
		up := s.upstreams[r.Upstream]
		if up == nil {
			return nil, fmt.Errorf("route %q: unknown upstream %q", r.ID, r.Upstream)
		}
		label := config.AllRoutes
		if perRoute {
			label = r.ID
		}
		if old != nil && old.policy == pol && old.upstream == up && old.metrics.route == label {
			s.routes[r.ID] = old
			routes = append(routes, old)
			continue
		}
		metrics := g.metrics.forRoute(r.ID, perRoute)
		if old != nil && old.metrics.route == label {
			metrics = old.metrics // its series are looked up already
		}
		rt := &route{
			id:          r.ID,
			path:        r.Path,
			prefix:      r.PathPrefix,
			methods:     r.ServedMethods(),
			stripPrefix: r.StripPrefix,
			maxBody:     r.MaxBodyBytes,
			metrics:     metrics,
			upstream:    up,
			policy:      pol,
			conf:        r,
		}
		for _, h := range r.Hosts {
			// The form requests are matched in: "[::1]" is ::1.
			rt.hosts = append(rt.hosts, strings.ToLower(hostOnly(h)))
		}
		if r.CSRF != nil {
			h, err := newCSRF(rt, r.CSRF)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r.ID, err)
			}
			rt.csrf = h
		}
		s.routes[r.ID] = rt
		routes = append(routes, rt)
	}
	s.router = newRouter(routes)
	return s, nil
}

// policy returns the compiled CORS policy of route r, nil when it has none:
// the snapshot's policy of that name, compiled on first use or taken over
// from prev when unchanged; for an inline policy, old's (the route as prev
// serves it, when unchanged), else a new one.
func (s *snapshot) policy(cfg *config.Config, r *config.Route, old *route, prev *snapshot) (*policy, error) {
	name, p := cfg.RoutePolicy(r)
	switch {
	case p == nil:
		return nil, nil
	case name == "":
		if old != nil && old.policy != nil && old.policy.conf.Equal(p) {
			return old.policy, nil
		}
		return newPolicy(cfg, "", p)
	}
	if pol := s.policies[name]; pol != nil {
		return pol, nil
	}
	pol := prev.policies[name]
	if pol == nil || !pol.conf.Equal(p) {
		var err error
		if pol, err = newPolicy(cfg, name, p); err != nil {
			return nil, err
		}
	}
	s.policies[name] = pol
	return pol, nil
}

// newPolicy builds policy p of cfg, with the cors.Policy that validating
// cfg compiled.
func newPolicy(cfg *config.Config, name string, p *config.Policy) (*policy, error) {
	cp, err := cfg.CORSPolicy(p)
	if err != nil {
		return nil, err
	}
	pol := &policy{name: name, cors: cp, enforceOrigin: p.EnforceOrigin, conf: p}
	switch p.Mode {
	case config.ModeUpstream:
		pol.mode = ModeUpstream
	case config.ModeShadow:
		pol.mode = ModeShadow
	}
	if pol.mode != ModeGateway {
		pol.cache = newPreflightCache()
	}
	return pol, nil
}

// health returns the health of upstream id's targets, by target, or nil.
func (s *snapshot) health(id string) map[string]*targetHealth {
	if s == nil || s.upstreams[id] == nil {
		return nil
	}
	m := make(map[string]*targetHealth)
	for _, t := range s.upstreams[id].targets {
		m[t.name] = t.health
	}
	return m
}

// startChecks starts the snapshot's health checks, once the checks of the
// snapshot it replaces have stopped.
func (s *snapshot) startChecks() {
	for _, u := range s.upstreams {
		if u.checker != nil {
			u.checker.start(u)
			continue
		}
		for _, t := range u.targets {
			// No check is left to bring it back.
			t.health.checkDown.Store(false)
		}
	}
}

// stopChecks stops the snapshot's health checks and waits for them. It may
// be called more than once.
func (s *snapshot) stopChecks() {
	for _, u := range s.upstreams {
		if u.checker != nil {
			u.checker.stop()
		}
	}
}

// sortedUpstreams returns the snapshot's upstreams by id.
func (s *snapshot) sortedUpstreams() []*upstream {
	ids := slices.Sorted(maps.Keys(s.upstreams))
	out := make([]*upstream, len(ids))
	for i, id := range ids {
		out[i] = s.upstreams[id]
	}
	return out
}

// closeIdle releases the idle upstream connections of a snapshot that is no
// longer served, except those of the upstreams next serves too; connections
// in use finish their requests first.
func (s *snapshot) closeIdle(next *snapshot) {
	for id, u := range s.upstreams {
		if next.upstreams[id] == u {
			continue
		}
		u.transport.CloseIdleConnections()
		u.client.CloseIdleConnections()
	}
}

package gateway

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
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
// The health checks of the old snapshot stop and those of the new one
// start. On error nothing changes.
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
		old.closeIdle()
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

// build compiles cfg. prev is the snapshot served so far, or nil: the
// health of its targets carries over to the same targets of the same
// upstreams.
func (g *Gateway) build(cfg *config.Config, prev *snapshot) (*snapshot, error) {
	s := &snapshot{cfg: cfg, upstreams: make(map[string]*upstream)}
	for id, u := range cfg.Upstreams {
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
		s.upstreams[id] = up
	}
	named := make(map[string]*policy)
	var routes []*route
	for _, r := range cfg.Routes {
		rt := &route{
			id:          r.ID,
			path:        r.Path,
			prefix:      r.PathPrefix,
			methods:     r.ServedMethods(),
			stripPrefix: r.StripPrefix,
			maxBody:     r.MaxBodyBytes,
			metrics:     g.metrics.forRoute(r.ID),
			upstream:    s.upstreams[r.Upstream],
		}
		for _, h := range r.Hosts {
			// The form requests are matched in: "[::1]" is ::1.
			rt.hosts = append(rt.hosts, strings.ToLower(hostOnly(h)))
		}
		if rt.upstream == nil {
			return nil, fmt.Errorf("route %q: unknown upstream %q", r.ID, r.Upstream)
		}
		name, p := cfg.RoutePolicy(r)
		if p != nil {
			pol := named[name]
			if pol == nil || name == "" {
				var err error
				pol, err = newPolicy(name, p)
				if err != nil {
					return nil, fmt.Errorf("route %q: %w", r.ID, err)
				}
				if name != "" {
					named[name] = pol
				}
			}
			rt.policy = pol
		}
		if r.CSRF != nil {
			h, err := newCSRF(rt, r.CSRF)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r.ID, err)
			}
			rt.csrf = h
		}
		rt.proxy = newProxy(rt, g.buffers,
			func(resp *http.Response) error { g.modify(rt, resp, nil); return nil },
			func(w http.ResponseWriter, r *http.Request, err error) { g.upstreamError(w, r, rt, nil, err) })
		routes = append(routes, rt)
	}
	s.router = newRouter(routes)
	return s, nil
}

func newPolicy(name string, p *config.Policy) (*policy, error) {
	cp, err := cors.New(p.CORSConfig())
	if err != nil {
		return nil, err
	}
	pol := &policy{name: name, cors: cp, enforceOrigin: p.EnforceOrigin}
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
// longer served; connections in use finish their requests first.
func (s *snapshot) closeIdle() {
	for _, u := range s.upstreams {
		u.transport.CloseIdleConnections()
		u.client.CloseIdleConnections()
	}
}

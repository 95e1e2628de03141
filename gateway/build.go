package gateway

import (
	"fmt"
	"net/http"
	"net/url"
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
// On error nothing changes.
func (g *Gateway) Swap(cfg *config.Config) error {
	s, err := g.build(cfg)
	if err != nil {
		return err
	}
	old := g.cur.Swap(s)
	if old != nil {
		old.closeIdle()
	}
	return nil
}

func (g *Gateway) build(cfg *config.Config) (*snapshot, error) {
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
		s.upstreams[id] = newUpstream(id, targets, u.Timeout)
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

// closeIdle releases the idle upstream connections of a snapshot that is no
// longer served; connections in use finish their requests first.
func (s *snapshot) closeIdle() {
	for _, u := range s.upstreams {
		u.transport.CloseIdleConnections()
		u.client.CloseIdleConnections()
	}
}

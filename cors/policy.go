package cors

import (
	"net/http"
	"sync/atomic"

	"github.com/crossgate/crossgate/internal/origin"
)

// Policy is a compiled CORS policy. It is safe for concurrent use, and
// Reconfigure replaces it atomically: each request sees either the old or
// the new policy, never a mix.
type Policy struct {
	cur   atomic.Pointer[compiled]
	slabs slabAlloc
}

// New checks cfg and compiles it into a Policy. When cfg has problems, New
// returns all of them at once, joined; each is a *ConfigError (see
// ConfigErrors).
func New(cfg Config) (*Policy, error) {
	c, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	p.cur.Store(c)
	return p, nil
}

// Reconfigure checks cfg and, if it is valid, makes it the policy for every
// request that starts afterwards. An invalid cfg changes nothing.
func (p *Policy) Reconfigure(cfg Config) error {
	c, err := compile(cfg)
	if err != nil {
		return err
	}
	p.cur.Store(c)
	return nil
}

// Config returns a copy of the configuration in force.
func (p *Policy) Config() Config {
	return cloneConfig(p.cur.Load().cfg)
}

// Handler returns middleware that applies the policy to every request:
// it answers preflights itself (the policy's success status, or 403 with no
// Access-Control-Allow-* headers) and, for every other request, writes the
// CORS headers and calls next. A refused actual request still reaches next:
// the browser, not the server, withholds the response from the page.
func (p *Policy) Handler(next http.Handler) http.Handler {
	return &handler{p: p, next: next}
}

type handler struct {
	p    *Policy
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.p.cur.Load()
	origins := r.Header[headerOrigin]
	if !c.staticAny && (len(origins) == 0 || len(origins) == 1 && r.Method != http.MethodOptions) {
		// The most common requests of all: without Origin (same-origin
		// pages, servers, curl) or actual CORS requests. Unless a Vary is
		// already there to be added to, their few headers are written
		// directly, without building a Decision.
		if wh := w.Header(); len(wh[headerVary]) == 0 {
			c.writeActual(wh, origins, &h.p.slabs)
			h.next.ServeHTTP(w, r)
			return
		}
	}
	var d Decision
	c.decide(&d, r.Method, r.Header, origins, &h.p.slabs)
	d.Apply(w.Header())
	if d.Kind == Preflight {
		w.WriteHeader(d.Status)
		return
	}
	h.next.ServeHTTP(w, r)
}

// writeActual writes into h, which has no Vary, what Apply writes for an
// actual request, or a request without Origin, under a policy whose answer
// depends on the origin. origins holds at most one line.
func (c *compiled) writeActual(h http.Header, origins []string, slabs *slabAlloc) {
	if len(origins) == 0 || !c.matchOrigin(origins[0]) {
		s := slabs.take(1)
		s[0] = headerOrigin
		h[headerVary] = s
		return
	}
	o := origins[0]
	buf := slabs.take(c.actualValues)
	buf[0] = headerOrigin
	h[headerVary] = buf[0:1:1]
	buf[1] = o
	h[headerACAO] = buf[1:2:2]
	i := 2
	if c.cfg.AllowCredentials {
		buf[i] = "true"
		h[headerACAC] = buf[i : i+1 : i+1]
		i++
	}
	if c.expose != "" {
		buf[i] = c.expose
		h[headerACEH] = buf[i : i+1 : i+1]
		i++
	}
	if c.cfg.TimingAllowOrigin {
		buf[i] = o
		h[headerTAO] = buf[i : i+1 : i+1]
	}
}

// TrustsOrigin reports whether origin, a raw Origin header value, is one the
// policy names: an exact origin or a pattern of AllowOrigins, or a match of
// AllowOriginRegex. "*" and "null" never count: they let any page read
// responses, which is no reason to accept state-changing requests that
// carry the user's cookies from any page. CSRF protection uses it to trust
// cross-site requests from the policy's origins. It never allocates and is
// safe for concurrent use.
func (p *Policy) TrustsOrigin(origin string) bool {
	c := p.cur.Load()
	if c.anyOrigin || origin == "null" {
		return false
	}
	return c.matchOrigin(origin)
}

func wellFormedOrigin(o string) bool {
	if o == "null" {
		return true
	}
	_, ok := origin.Parse(o)
	return ok
}

package gateway

import (
	"github.com/crossgate/crossgate/cors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds of the upstream-mode preflight cache.
const (
	preflightCacheEntries = 10000
	// preflightCacheMaxTTL follows Chrome, which never caches a preflight
	// for longer than two hours.
	preflightCacheMaxTTL = 2 * time.Hour
)

// preflightCache keeps the upstream's successful preflight answers for their
// Access-Control-Max-Age, keyed by route, origin, method and requested
// headers. It holds at most preflightCacheEntries; when full, the oldest
// entry goes first.
type preflightCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPreflight
	order   []string // insertion order, for eviction
	now     func() time.Time
}

type cachedPreflight struct {
	status  int
	header  http.Header
	expires time.Time
}

func newPreflightCache() *preflightCache {
	return &preflightCache{entries: make(map[string]*cachedPreflight), now: time.Now}
}

func preflightKey(routeID string, r *http.Request) string {
	return routeID + "\x00" + r.Header.Get("Origin") + "\x00" +
		r.Header.Get("Access-Control-Request-Method") + "\x00" +
		strings.ToLower(strings.Join(r.Header.Values("Access-Control-Request-Headers"), ",")) + "\x00" +
		r.Header.Get("Access-Control-Request-Private-Network") + "\x00" + r.URL.Path
}

func (c *preflightCache) get(key string) (*cachedPreflight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e, true
}

// put stores a preflight answer if it is a success that the upstream let
// browsers cache.
func (c *preflightCache) put(key string, status int, h http.Header) {
	if status < 200 || status > 299 || h.Get("Access-Control-Allow-Origin") == "" {
		return
	}
	secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Access-Control-Max-Age")))
	if err != nil || secs <= 0 {
		return
	}
	ttl := min(time.Duration(secs)*time.Second, preflightCacheMaxTTL)
	e := &cachedPreflight{status: status, header: corsHeaders(h), expires: c.now().Add(ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		for len(c.entries) >= preflightCacheEntries && len(c.order) > 0 {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, key)
	}
	c.entries[key] = e
}

// corsHeaders copies the headers of a preflight answer worth replaying.
func corsHeaders(h http.Header) http.Header {
	out := make(http.Header)
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// upstreamPreflight handles a preflight in upstream and shadow modes: from
// the cache when it can, else by forwarding it and remembering the answer.
func (g *Gateway) upstreamPreflight(w http.ResponseWriter, r *http.Request, rt *route, d *cors.Decision) {
	p := rt.policy
	key := preflightKey(rt.id, r)
	if e, ok := p.cache.get(key); ok {
		g.metrics.preflightHits.WithLabelValues(rt.metrics.route, "hit").Inc()
		for k, v := range e.header {
			w.Header()[k] = append([]string(nil), v...)
		}
		if p.mode == ModeShadow {
			g.compare(rt, d, r.Header.Get("Origin"), e.status, e.header)
		}
		w.WriteHeader(e.status)
		return
	}
	g.metrics.preflightHits.WithLabelValues(rt.metrics.route, "miss").Inc()
	rec := &preflightCapture{ResponseWriter: w}
	g.proxy(rec, r, rt, d)
	if rec.status != 0 {
		p.cache.put(key, rec.status, rec.header)
		if p.mode == ModeShadow {
			g.compare(rt, d, r.Header.Get("Origin"), rec.status, rec.header)
		}
	}
}

// preflightCapture remembers the status and headers the proxy writes.
type preflightCapture struct {
	http.ResponseWriter
	status int
	header http.Header
}

func (c *preflightCapture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
		c.header = c.ResponseWriter.Header().Clone()
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *preflightCapture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func (c *preflightCapture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

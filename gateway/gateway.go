// Package gateway is Crossgate's request path: routing, the per-route CORS
// handling in its three modes, and the reverse proxy. A Gateway serves one
// immutable snapshot of the config at a time and swaps in a new one
// atomically, so every request is handled entirely by one snapshot.
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/csrf"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/internal/h1"
)

// Mode says who owns CORS on a route.
type Mode uint8

const (
	// ModeGateway: the gateway answers preflights and writes the CORS headers
	// of every response, replacing the upstream's.
	ModeGateway Mode = iota
	// ModeUpstream: the upstream owns CORS; the gateway forwards preflights
	// and caches the upstream's answers for their max age.
	ModeUpstream
	// ModeShadow: as ModeUpstream, and the gateway reports every request on
	// which its own policy would decide otherwise.
	ModeShadow
)

func (m Mode) String() string {
	switch m {
	case ModeUpstream:
		return "upstream"
	case ModeShadow:
		return "shadow"
	}
	return "gateway"
}

// policy is a route's CORS setting in a snapshot.
type policy struct {
	name          string
	cors          *cors.Policy
	mode          Mode
	enforceOrigin bool
	cache         *preflightCache // upstream and shadow modes
	conf          *config.Policy  // what it was compiled from
}

type route struct {
	id          string
	hosts       []string
	path        string
	prefix      string
	methods     []string
	stripPrefix bool
	maxBody     int64
	metrics     *routeMetrics
	upstream    *upstream
	policy      *policy // nil: CORS off
	csrf        *csrf.Protection
	conf        *config.Route // what it was built from, to reuse it in the next snapshot
}

// snapshot is everything one config version needs to serve requests.
type snapshot struct {
	cfg       *config.Config
	router    *router
	upstreams map[string]*upstream
	confs     map[string]*config.Upstream // what each upstream was built from
	policies  map[string]*policy          // the named ones, by name
	routes    map[string]*route           // by id
}

// Gateway is the http.Handler of the gateway's listener.
type Gateway struct {
	cur      atomic.Pointer[snapshot]
	swapMu   sync.Mutex // one Swap or Close at a time
	metrics  *Metrics
	log      *slog.Logger
	access   io.Writer
	lineBufs sync.Pool // of *[]byte, for access-log lines
	buffers  *bufferPool
	upgrades *httputil.ReverseProxy // tunnels every route's upgrades
	recent   *decisions.Log         // nil: none kept
}

// Options are the process-wide parts of a Gateway.
type Options struct {
	Metrics *Metrics     // nil: a new one
	Logger  *slog.Logger // events (reloads, upstream errors); nil: discard
	// AccessLog receives one JSON line per request; nil writes none.
	AccessLog io.Writer
	// Decisions, when set, records the CORS decision on every request that
	// has an Origin, for the console.
	Decisions *decisions.Log
}

func newGateway(o Options) *Gateway {
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{metrics: o.Metrics, log: o.Logger, access: o.AccessLog, buffers: &bufferPool{}, recent: o.Decisions}
	g.upgrades = newProxy(g.buffers,
		func(rt *route, resp *http.Response) { g.modify(rt, resp, nil) },
		func(w http.ResponseWriter, r *http.Request, rt *route, err error) {
			g.upstreamError(w, r, rt, nil, err)
		})
	g.lineBufs.New = func() any { b := make([]byte, 0, 512); return &b }
	o.Metrics.gateway.Store(g)
	return g
}

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *Metrics { return g.metrics }

// Config returns the config the gateway serves new requests with.
func (g *Gateway) Config() *config.Config { return g.cur.Load().cfg }

// ServeHTTP routes the request and handles it with its route's chain.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s := g.cur.Load()
	rt, wrong := s.route(r)
	rec := &statusRecorder{ResponseWriter: w}
	var d cors.Decision
	switch {
	case rt != nil:
		d = g.serveRoute(rec, r, rt)
	case wrong != nil:
		// The path is routed but not for this method: answer 405 with the
		// route's CORS headers so that a browser shows the real error, and
		// the methods that are routed, as RFC 9110 requires of a 405.
		rec.Header().Set("Allow", s.router.allow(r.Host, r.URL.Path))
		d = g.gatewayError(rec, r, wrong, nil, http.StatusMethodNotAllowed, "method not allowed")
		rt = wrong
	default:
		http.Error(rec, "404 page not found: no route", http.StatusNotFound)
	}
	id := ""
	if rt != nil {
		id = rt.id
		if g.recent != nil {
			g.recent.Record(start, id, r, &d)
		}
		rt.metrics.request(rec.status())
	} else {
		g.metrics.request(id, rec.status())
	}
	g.accessLog(r, id, rec, start, rt, &d)
}

// route returns the route of r, or when none serves r's method on its
// host and path, the route that matched those (for a 405).
func (s *snapshot) route(r *http.Request) (rt, wrong *route) {
	method := r.Method
	preflight := isPreflight(r)
	if preflight {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	rt, wrong = s.router.match(r.Host, r.URL.Path, method)
	if rt == nil && preflight {
		// A preflight is answered by the policy of the path's route even
		// when the route does not serve the method: the actual request
		// then gets a 405 the page can read, instead of a CORS error.
		rt, wrong = wrong, nil
	}
	return rt, wrong
}

// serveRoute runs the route's chain: CORS (by mode), CSRF, then the proxy.
func (g *Gateway) serveRoute(w *statusRecorder, r *http.Request, rt *route) cors.Decision {
	p := rt.policy
	if p == nil {
		var none cors.Decision
		if rt.csrf != nil && !g.protect(w, r, rt, &none) {
			return none
		}
		g.forward(w, r, rt, nil)
		return none
	}
	d := p.cors.Decide(r)
	rt.metrics.decision(&d)
	if !d.Allowed && d.Kind != cors.NotCORS && (d.Reason == cors.ReasonOriginNotAllowed || d.Reason == cors.ReasonOriginMalformed) {
		g.metrics.refusedOrigin(rt.metrics.route, r.Header.Get("Origin"), d.Reason == cors.ReasonOriginMalformed)
	}
	if d.Kind == cors.Preflight {
		if p.mode != ModeGateway {
			g.upstreamPreflight(w, r, rt, &d)
			return d
		}
		d.Apply(w.Header())
		if !d.Allowed {
			w.Header().Set(ReasonHeader, refusal(&d))
		}
		w.WriteHeader(d.Status)
		return d
	}
	// Config validation allows enforce_origin only in gateway mode.
	if p.enforceOrigin && d.Kind == cors.Actual && !d.Allowed {
		g.gatewayError(w, r, rt, &d, http.StatusForbidden, "origin not allowed: "+d.Reason.String())
		return d
	}
	if rt.csrf != nil && !g.protect(w, r, rt, &d) {
		return d
	}
	g.forward(w, r, rt, &d)
	return d
}

// forward sends the request upstream. d is the route policy's decision on
// it, or nil when the route has none.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, rt *route, d *cors.Decision) {
	if rt.maxBody > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > rt.maxBody {
			g.gatewayError(w, r, rt, d, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody)
	}
	g.proxy(w, r, rt, d)
}

// ReasonHeader names the response header in which the gateway says why it
// refused a preflight: the browser hides the preflight's answer from the
// page, but DevTools and crossgate check show it, and it names the exact
// thing to change ("headers-not-allowed: x-debug").
const ReasonHeader = "Crossgate-Cors-Refusal"

func refusal(d *cors.Decision) string {
	if d.Detail != "" {
		return d.Reason.String() + ": " + d.Detail
	}
	return d.Reason.String()
}

// gatewayError answers with an error the gateway makes itself, carrying the
// route policy's CORS headers so that the page can read it. d is the
// decision already made on the request, or nil to make it here.
func (g *Gateway) gatewayError(w http.ResponseWriter, r *http.Request, rt *route, d *cors.Decision, status int, msg string) cors.Decision {
	if d == nil {
		d = &cors.Decision{}
		if rt.policy != nil {
			*d = rt.policy.cors.Decide(r)
		}
	}
	if rt.policy != nil && d.Kind != cors.Preflight {
		d.Apply(w.Header())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":` + jsonString(msg) + `,"status":` + statusText[status] + "}\n"))
	return *d
}

// modify is a route's hook on upstream responses: in gateway mode it
// replaces the upstream's CORS headers with the policy's; in shadow mode it
// compares the two decisions. d is the decision already made on the
// request, or nil to make it here.
func (g *Gateway) modify(rt *route, resp *http.Response, d *cors.Decision) {
	p := rt.policy
	if p == nil || p.mode == ModeUpstream {
		return
	}
	if d == nil {
		decided := p.cors.Decide(resp.Request)
		d = &decided
	}
	switch p.mode {
	case ModeGateway:
		stripCORS(resp.Header)
		d.Apply(resp.Header)
		if resp.ContentLength < 0 || resp.StatusCode == http.StatusSwitchingProtocols {
			ownValues(resp.Header)
		}
	case ModeShadow:
		if d.Kind == cors.Actual {
			g.compare(rt, d, resp.Request.Header.Get("Origin"), resp.StatusCode, resp.Header)
		}
	}
}

// StatusClientClosedRequest is the status the access log and the metrics
// give a request whose client went away before its answer: nginx's 499.
const StatusClientClosedRequest = 499

// upstreamError answers a request whose upstream failed: 502, 504, or 413
// when the body was over the route's limit.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, rt *route, d *cors.Decision, err error) {
	if h1.ClientGone(r) && errors.Is(err, context.Canceled) {
		// The client went away and the exchange was stopped: nobody reads
		// an answer, and the status only tells the log and the metrics,
		// as nginx's 499 does.
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status := upstreamStatus(err)
	if status != http.StatusRequestEntityTooLarge {
		g.log.Warn("upstream error", "route", rt.id, "upstream", rt.upstream.id, "error", err.Error(), "status", status)
	}
	msg := "upstream unreachable"
	switch status {
	case http.StatusGatewayTimeout:
		msg = "upstream timed out"
	case http.StatusRequestEntityTooLarge:
		msg = "request body too large"
	}
	g.gatewayError(w, r, rt, d, status, msg)
}

// ownValues gives every value of a response that may stay open (an event
// stream, a long poll, a WebSocket) a slice of its own. The values Apply
// writes are slots of a slab the policy shares between responses, and one
// open response would keep the whole slab alive.
func ownValues(h http.Header) {
	for k, vv := range h {
		h[k] = slices.Clone(vv)
	}
}

// stripCORS removes the upstream's Access-Control-* headers, so that the
// browser sees only the gateway's.
func stripCORS(h http.Header) {
	for k := range h {
		if len(k) > len("Access-Control-") && strings.EqualFold(k[:len("Access-Control-")], "Access-Control-") {
			delete(h, k)
		}
	}
	delete(h, "Timing-Allow-Origin")
}

// compare reports, in shadow mode, a request on which the upstream's CORS
// answer and the gateway's policy disagree.
func (g *Gateway) compare(rt *route, d *cors.Decision, origin string, status int, h http.Header) {
	acao := h.Values("Access-Control-Allow-Origin")
	upstreamAllows := len(acao) == 1 && (acao[0] == origin || acao[0] == "*")
	if d.Kind == cors.Preflight {
		upstreamAllows = upstreamAllows && status >= 200 && status <= 299
	}
	if upstreamAllows == d.Allowed {
		return
	}
	would := "refuse"
	if d.Allowed {
		would = "allow"
	}
	g.metrics.disagreements.WithLabelValues(rt.metrics.route, d.Kind.String(), would).Inc()
	g.log.Warn("cors shadow disagreement", "route", rt.id, "kind", d.Kind.String(), "origin", origin,
		"gateway", would, "reason", d.Reason.String(), "upstream_acao", strings.Join(acao, ", "), "upstream_status", status)
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

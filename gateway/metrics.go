package gateway

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/h1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// maxRefusedOrigins bounds the distinct origin label values of
// crossgate_cors_refused_origins_total. Origin is chosen by the client, so
// without a bound a hostile client could create a series per request; past
// the bound, refused origins are counted under "other".
const maxRefusedOrigins = 100

// Metrics holds the gateway's Prometheus collectors. One Metrics lives for
// the whole process and is shared by every config snapshot, so that counters
// survive reloads.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	upstream      *prometheus.HistogramVec
	decisions     *prometheus.CounterVec
	refused       *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	disagreements *prometheus.CounterVec
	preflightHits *prometheus.CounterVec
	csrf          *prometheus.CounterVec
	retries       *prometheus.CounterVec

	// gateway is the gateway whose targets crossgate_upstream_target_up
	// reports: the last one built with this Metrics.
	gateway atomic.Pointer[Gateway]

	mu            sync.RWMutex // guards refusedLabels
	refusedLabels map[string]struct{}

	allRoutes *routeMetrics // every route's, when per-route series are off
}

// NewMetrics creates the collectors and registers them, with the Go and
// process collectors, on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_requests_total",
			Help: "Requests handled, by route and response status.",
		}, []string{"route", "status"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crossgate_upstream_duration_seconds",
			Help:    "Time from sending a request upstream to receiving its response headers.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_cors_decisions_total",
			Help: "CORS decisions, by route, request kind (none, actual, preflight), result (allowed, refused, or none for requests without Origin) and reason code.",
		}, []string{"route", "kind", "result", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_cors_refused_origins_total",
			Help: "Requests whose Origin the route's policy refused, by route and origin (the first 100 distinct origins; later ones as \"other\", malformed ones as \"malformed\").",
		}, []string{"route", "origin"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_config_reloads_total",
			Help: "Config reloads, by result (success, failure).",
		}, []string{"result"}),
		disagreements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_cors_shadow_disagreements_total",
			Help: "Shadow mode: requests on which the gateway's policy decides otherwise than the upstream, by route, kind and what the gateway would do (allow, refuse).",
		}, []string{"route", "kind", "gateway"}),
		preflightHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_preflight_cache_total",
			Help: "Upstream and shadow modes: preflights answered from the gateway's cache (hit) or forwarded (miss), by route.",
		}, []string{"route", "result"}),
		csrf: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_csrf_refusals_total",
			Help: "Requests refused by CSRF protection, by route and reason code.",
		}, []string{"route", "reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_upstream_retries_total",
			Help: "Requests sent to another target of an upstream after a failure, by upstream and reason: not_sent (the failed attempt reached no target) or unanswered (an idempotent request the target did not answer).",
		}, []string{"upstream", "reason"}),
		refusedLabels: make(map[string]struct{}),
	}
	m.allRoutes = &routeMetrics{m: m, route: config.AllRoutes}
	m.Registry.MustRegister(m.requests, m.upstream, m.decisions, m.refused, m.reloads,
		m.disagreements, m.preflightHits, m.csrf, m.retries, targetsUp{m}, quarantines{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) retry(upstream, reason string) {
	m.retries.WithLabelValues(upstream, reason).Inc()
}

var targetUpDesc = prometheus.NewDesc("crossgate_upstream_target_up",
	"1 while an upstream target takes requests, 0 while passive or active health checks leave it out, by upstream and target.",
	[]string{"upstream", "target"}, nil)

// targetsUp reports the targets of the config being served at each
// scrape, so that targets a reload removed leave no series behind.
type targetsUp struct{ m *Metrics }

func (c targetsUp) Describe(ch chan<- *prometheus.Desc) { ch <- targetUpDesc }

func (c targetsUp) Collect(ch chan<- prometheus.Metric) {
	g := c.m.gateway.Load()
	if g == nil {
		return
	}
	for _, t := range g.Targets() {
		up := 0.0
		if t.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(targetUpDesc, prometheus.GaugeValue, up, t.Upstream, t.Target)
	}
}

var quarantinesDesc = prometheus.NewDesc("crossgate_upstream_quarantines_total",
	"Times a target of an upstream started a quarantine: it sent bytes beyond its responses' framing, and its connections are not reused for a while (h1.QuarantinePeriod), by upstream. Only http:// upstreams have it.",
	[]string{"upstream"}, nil)

// quarantines reports the quarantine counts of the upstreams of the config
// being served, which their clients carry over reloads.
type quarantines struct{ m *Metrics }

func (c quarantines) Describe(ch chan<- *prometheus.Desc) { ch <- quarantinesDesc }

func (c quarantines) Collect(ch chan<- prometheus.Metric) {
	g := c.m.gateway.Load()
	if g == nil {
		return
	}
	s := g.cur.Load()
	if s == nil {
		return
	}
	for _, u := range s.sortedUpstreams() {
		if hc, ok := u.client.(*h1.Client); ok {
			ch <- prometheus.MustNewConstMetric(quarantinesDesc, prometheus.CounterValue, float64(hc.Quarantines()), u.id)
		}
	}
}

// statusText holds the decimal form of every status code, so that counting a
// request allocates nothing.
var statusText = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func (m *Metrics) request(route string, status int) {
	code := "other"
	if status >= 0 && status < len(statusText) {
		code = statusText[status]
	}
	m.requests.WithLabelValues(route, code).Inc()
}

func (m *Metrics) decision(route string, d *cors.Decision) {
	m.decisions.WithLabelValues(route, d.Kind.String(), corsResult(d), d.Reason.String()).Inc()
}

// corsResult names the outcome of a decision in metrics and the access log:
// "none" for a request that is not a CORS request (no Origin), whatever the
// policy would say, then "allowed" or "refused".
func corsResult(d *cors.Decision) string {
	switch {
	case d.Kind == cors.NotCORS:
		return "none"
	case d.Allowed:
		return "allowed"
	}
	return "refused"
}

func (m *Metrics) refusedOrigin(route, origin string, malformed bool) {
	label := origin
	switch {
	case malformed:
		label = "malformed"
	default:
		label = m.originLabel(origin)
	}
	m.refused.WithLabelValues(route, label).Inc()
}

// Reload counts a config reload.
func (m *Metrics) Reload(ok bool) {
	if ok {
		m.reloads.WithLabelValues("success").Inc()
	} else {
		m.reloads.WithLabelValues("failure").Inc()
	}
}

// routeMetrics holds the most used series of one route, or of every route
// when per-route series are off, looked up once instead of hashing label
// values on every request. A route that receives no request costs no
// series and a few words of memory: the series are looked up on its first
// request.
type routeMetrics struct {
	m      *Metrics
	route  string // the route label: the route's id, or config.AllRoutes
	series atomic.Pointer[routeSeries]
}

type routeSeries struct {
	upstream  prometheus.Observer
	statuses  [statusSlots]atomic.Pointer[statusCounter]
	decisions [3][maxReasons]atomic.Pointer[prometheus.Counter]
}

// statusSlots bounds the statuses whose counters a route caches, in the
// order they first occur: a route answers a handful of statuses, and an
// array indexed by status would cost every route 4.8 KB. Statuses beyond
// them are counted through the vector.
const statusSlots = 8

type statusCounter struct {
	status  int
	counter prometheus.Counter
}

// maxReasons bounds the cors.Reason values whose counters a route caches;
// any beyond it are counted through the vector.
const maxReasons = 16

// reasonLabels are the reason codes, indexed by cors.Reason.
var reasonLabels = func() []string {
	var s []string
	for _, r := range cors.Reasons() {
		s = append(s, r.String())
	}
	return s
}()

// forRoute returns the metrics of the route with id: its own when perRoute,
// else those every route shares.
func (m *Metrics) forRoute(id string, perRoute bool) *routeMetrics {
	if !perRoute {
		return m.allRoutes
	}
	return &routeMetrics{m: m, route: id}
}

// get returns the route's series, looking them up on first use.
func (rm *routeMetrics) get() *routeSeries {
	if s := rm.series.Load(); s != nil {
		return s
	}
	rm.series.CompareAndSwap(nil, &routeSeries{upstream: rm.m.upstream.WithLabelValues(rm.route)})
	return rm.series.Load()
}

// cached returns the counter in slot, creating it with make on first use.
func cached(slot *atomic.Pointer[prometheus.Counter], make func() prometheus.Counter) prometheus.Counter {
	if c := slot.Load(); c != nil {
		return *c
	}
	c := make()
	slot.Store(&c)
	return c
}

func (rm *routeMetrics) request(status int) {
	if status < 0 || status >= len(statusText) {
		rm.m.requests.WithLabelValues(rm.route, "other").Inc()
		return
	}
	slots := &rm.get().statuses
	for i := range slots {
		c := slots[i].Load()
		if c == nil {
			c = &statusCounter{status: status, counter: rm.m.requests.WithLabelValues(rm.route, statusText[status])}
			if !slots[i].CompareAndSwap(nil, c) {
				c = slots[i].Load()
			}
		}
		if c.status == status {
			c.counter.Inc()
			return
		}
	}
	rm.m.requests.WithLabelValues(rm.route, statusText[status]).Inc()
}

func (rm *routeMetrics) decision(d *cors.Decision) {
	k, r := int(d.Kind), int(d.Reason)
	s := rm.get()
	if k >= len(s.decisions) || r >= len(reasonLabels) || r >= maxReasons {
		rm.m.decision(rm.route, d)
		return
	}
	cached(&s.decisions[k][r], func() prometheus.Counter {
		return rm.m.decisions.WithLabelValues(rm.route, d.Kind.String(), corsResult(d), reasonLabels[r])
	}).Inc()
}

// observeUpstream records the time an upstream took to answer.
func (rm *routeMetrics) observeUpstream(d time.Duration) {
	rm.get().upstream.Observe(d.Seconds())
}

// originLabel returns origin itself while fewer than maxRefusedOrigins
// distinct origins have been labelled, else "other". Once the set is full,
// which is where a hostile client drives it, only a read lock is taken.
func (m *Metrics) originLabel(origin string) string {
	m.mu.RLock()
	_, known := m.refusedLabels[origin]
	full := len(m.refusedLabels) >= maxRefusedOrigins
	m.mu.RUnlock()
	switch {
	case known:
		return origin
	case full:
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.refusedLabels[origin]; !ok {
		if len(m.refusedLabels) >= maxRefusedOrigins {
			return "other"
		}
		m.refusedLabels[origin] = struct{}{}
	}
	return origin
}

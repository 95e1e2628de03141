package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/internal/h1"
)

// upstream is a set of targets tried in turn (round robin), with one
// transport whose connection pool is sized for a gateway: the standard
// library's default keeps only two idle connections per host, which under
// concurrency turns most requests into new connections.
//
// Ordinary requests go through client: when every target is http://, an
// h1.Client, which does each exchange on the request's goroutine;
// otherwise transport itself. The gateway's ReverseProxy (WebSocket upgrades)
// always uses transport.
//
// Targets that fail are left out for a while (failover.go, health.go).
type upstream struct {
	id          string
	targets     []*target
	next        atomic.Uint64
	timeout     time.Duration
	retries     int
	maxFails    int
	failTimeout time.Duration
	checker     *checker // nil without health_check
	transport   *http.Transport
	client      pooledRoundTripper
}

// pooledRoundTripper is a round tripper with a connection pool, which a
// snapshot that is no longer served empties.
type pooledRoundTripper interface {
	http.RoundTripper
	CloseIdleConnections()
}

func newUpstream(id string, targets []*url.URL, timeout time.Duration) *upstream {
	u := &upstream{
		id:      id,
		timeout: timeout,
		transport: &http.Transport{
			Proxy: nil,
			DialContext: (&net.Dialer{
				Timeout:   5 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: timeout,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     false,
		},
	}
	for _, tu := range targets {
		u.targets = append(u.targets, &target{url: tu, name: tu.String(), health: &targetHealth{}})
	}
	u.client = u.transport
	if plainHTTP(targets) {
		u.client = h1.NewClient(targets, timeout)
	}
	return u
}

// configure sets u's failover from cfg, whose targets u's are. prior holds
// the health of the targets of the upstream of the same id in the config
// served so far, by target, so that a reload does not forget which targets
// are down.
func (u *upstream) configure(cfg *config.Upstream, prior map[string]*targetHealth, log *slog.Logger) {
	u.retries, u.maxFails, u.failTimeout = cfg.Retries, cfg.MaxFails, cfg.FailTimeout
	if c, ok := u.client.(*h1.Client); ok {
		c.Log = log // warns when a target's quarantine starts
	}
	for i, t := range u.targets {
		t.name = cfg.Targets[i]
		if h := prior[t.name]; h != nil {
			t.health = h
		}
	}
	if cfg.HealthCheck != nil {
		u.checker = newChecker(cfg.HealthCheck, log)
	}
}

// keepQuarantines makes u's client keep the quarantines of the targets of
// old, the upstream of the same id in the config served so far, so that a
// reload does not make a target that sent stray bytes reused again (see
// h1.QuarantinePeriod).
func (u *upstream) keepQuarantines(old *upstream) {
	c, ok := u.client.(*h1.Client)
	if prev, okPrev := old.client.(*h1.Client); ok && okPrev {
		c.KeepQuarantines(prev)
	}
}

// plainHTTP reports whether every target is an http:// URL.
func plainHTTP(targets []*url.URL) bool {
	for _, t := range targets {
		if t.Scheme != "http" {
			return false
		}
	}
	return len(targets) > 0
}

// pick returns the index of the next target in turn that is up, or when
// every target is down, the next one anyway: a request that may still
// succeed is worth more than a certain 502 (nginx, too, tries its servers
// again once all of them have failed).
func (u *upstream) pick() int {
	n := int(u.next.Add(1) % uint64(len(u.targets)))
	var now int64
	for i := range u.targets {
		j := (n + i) % len(u.targets)
		if u.targets[j].health.up(&now) {
			return j
		}
	}
	return n
}

// newProxy builds the reverse proxy that tunnels upgrades (WebSocket) for
// every route of the gateway; the request's context carries its route
// (withRoute). ReverseProxy removes hop-by-hop headers, streams bodies and
// tunnels WebSocket upgrades; the route adds target selection, prefix
// stripping, X-Forwarded-* and the CORS handling of responses. One proxy
// serves every route, so that a route costs no proxy of its own.
func newProxy(buffers *bufferPool, modify func(*route, *http.Response), onError func(http.ResponseWriter, *http.Request, *route, error)) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rt := routeOf(pr.In)
			target := rt.upstream.targets[rt.upstream.pick()].url
			pr.SetURL(target)
			if rt.stripPrefix && rt.prefix != "" {
				p := strings.TrimPrefix(pr.In.URL.Path, rt.prefix)
				if !strings.HasPrefix(p, "/") {
					p = "/" + p
				}
				pr.Out.URL.Path = singleJoin(target.Path, p)
				pr.Out.URL.RawPath = ""
			}
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
		},
		Transport:  timedTransport{},
		BufferPool: buffers,
		ModifyResponse: func(resp *http.Response) error {
			modify(routeOf(resp.Request), resp)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { onError(w, r, routeOf(r), err) },
		ErrorLog:     nil,
	}
}

// routeKey is the context key of the route of a request that the shared
// ReverseProxy serves.
type routeKey struct{}

func withRoute(r *http.Request, rt *route) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
}

func routeOf(r *http.Request) *route { return r.Context().Value(routeKey{}).(*route) }

// bufferPool lends the proxies their body-copy buffers; without it,
// ReverseProxy allocates 32 KiB per response, and the garbage collector
// then costs more than the proxying. One pool serves every snapshot.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

func singleJoin(a, b string) string {
	if a == "" || a == "/" {
		return b
	}
	return strings.TrimSuffix(a, "/") + b
}

// upstreamStatus maps a proxy error to the status the gateway answers with:
// 504 when the upstream was too slow, 502 when it could not be reached or
// answered nonsense.
func upstreamStatus(err error) int {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// timedTransport sends an upgrade request to its route's upstream and
// measures the exchange up to its response headers, for the route's latency
// histogram.
type timedTransport struct{}

func (timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt := routeOf(r)
	start := time.Now()
	resp, err := rt.upstream.transport.RoundTrip(r)
	rt.metrics.observeUpstream(time.Since(start))
	return resp, err
}

package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/config"
)

// target is one backend of an upstream.
type target struct {
	url    *url.URL
	name   string // as the config writes it: the label in metrics and /readyz
	health *targetHealth
}

// targetHealth is what the gateway knows of a target's health: passive
// (the failures of the requests sent to it, nginx's max_fails and
// fail_timeout) and active (health checks). The request path reads it with
// atomic loads; only failures and checks take its lock. It outlives a
// config reload that keeps the target's URL in the same upstream.
type targetHealth struct {
	// downUntil is the Unix time in nanoseconds until which passive health
	// leaves the target out; 0 while it is in.
	downUntil atomic.Int64
	// failing is set while failures are being counted, so that a success
	// knows at one load whether there is anything to clear.
	failing atomic.Bool
	// checkDown is set while the active health check finds the target
	// down.
	checkDown atomic.Bool

	mu          sync.Mutex
	fails       int   // failures since windowStart
	windowStart int64 // Unix nanoseconds
	lastError   string
	checkError  string
}

// up reports whether the target takes requests. now is the current time in
// Unix nanoseconds, read on first need: most calls find no passive mark
// and need no clock.
func (h *targetHealth) up(now *int64) bool {
	if h.checkDown.Load() {
		return false
	}
	d := h.downUntil.Load()
	if d == 0 {
		return true
	}
	if *now == 0 {
		*now = time.Now().UnixNano()
	}
	return *now >= d
}

// failed counts a failure of a request sent to the target: maxFails of
// them within failTimeout leave it out for failTimeout. A target that
// failed while out, or on its first request after its time out, is out
// again at once, as nginx does. maxFails 0 counts nothing.
func (h *targetHealth) failed(err error, maxFails int, failTimeout time.Duration) {
	if maxFails <= 0 {
		return
	}
	now := time.Now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastError = err.Error()
	if h.downUntil.Load() != 0 {
		h.downUntil.Store(now + int64(failTimeout))
		return
	}
	if h.fails == 0 || now-h.windowStart >= int64(failTimeout) {
		h.fails, h.windowStart = 0, now
	}
	h.fails++
	h.failing.Store(true)
	if h.fails >= maxFails {
		h.downUntil.Store(now + int64(failTimeout))
	}
}

// succeeded clears the passive marks of a target that answered.
func (h *targetHealth) succeeded() {
	if !h.failing.Load() && h.downUntil.Load() == 0 {
		return
	}
	h.mu.Lock()
	h.fails = 0
	h.failing.Store(false)
	h.downUntil.Store(0)
	h.mu.Unlock()
}

// TargetState is one upstream target's health, as /readyz?verbose and the
// crossgate_upstream_target_up metric report it.
type TargetState struct {
	Upstream string
	Target   string
	Up       bool
	// Why says why a target is out, or, for a target that is up, what its
	// last failure was; empty when there is nothing to say.
	Why string
}

func (t *target) state(upstream string) TargetState {
	var now int64
	s := TargetState{Upstream: upstream, Target: t.name, Up: t.health.up(&now)}
	h := t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch d := h.downUntil.Load(); {
	case h.checkDown.Load():
		s.Why = "health check failing: " + h.checkError
	case d != 0 && !s.Up:
		s.Why = fmt.Sprintf("out after %d failed requests until %s: %s", h.fails, time.Unix(0, d).UTC().Format(time.RFC3339), h.lastError)
	case h.fails > 0:
		s.Why = fmt.Sprintf("%d failed requests recently: %s", h.fails, h.lastError)
	}
	return s
}

// Targets returns the health of every target of the config being served,
// by upstream and then in the config's order.
func (g *Gateway) Targets() []TargetState {
	s := g.cur.Load()
	if s == nil {
		return nil
	}
	var out []TargetState
	for _, u := range s.sortedUpstreams() {
		for _, t := range u.targets {
			out = append(out, t.state(u.id))
		}
	}
	return out
}

// checker runs an upstream's active health checks: one goroutine per
// target, for as long as the snapshot that owns the upstream is served.
type checker struct {
	cfg    config.HealthCheck
	log    *slog.Logger
	client *http.Client
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func newChecker(hc *config.HealthCheck, log *slog.Logger) *checker {
	return &checker{
		cfg: *hc,
		log: log,
		client: &http.Client{
			// A new connection per check: a check also proves that the
			// target accepts connections.
			Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// start checks every target of u at once and then every interval.
func (c *checker) start(u *upstream) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for _, t := range u.targets {
		probe := &url.URL{Scheme: t.url.Scheme, Host: t.url.Host}
		if p, err := url.ParseRequestURI(c.cfg.Path); err == nil {
			probe.Path, probe.RawPath, probe.RawQuery = p.Path, p.RawPath, p.RawQuery
		}
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			c.run(ctx, u.id, t, probe.String())
		}()
	}
}

// stop ends the checks and waits for them to return.
func (c *checker) stop() {
	if c.cancel != nil {
		c.cancel()
	}
	c.done.Wait()
}

func (c *checker) run(ctx context.Context, upstream string, t *target, probe string) {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	passes, fails := 0, 0
	for {
		err := c.check(ctx, probe)
		if ctx.Err() != nil {
			return
		}
		h := t.health
		if err == nil {
			passes, fails = passes+1, 0
			if h.checkDown.Load() && passes >= c.cfg.Passes {
				h.checkDown.Store(false)
				c.log.Info("upstream target up", "upstream", upstream, "target", t.name)
			}
			if !h.checkDown.Load() {
				// The check's word is the freshest: a target that passes
				// takes requests again, whatever passive health said.
				h.succeeded()
			}
		} else {
			passes, fails = 0, fails+1
			h.mu.Lock()
			h.checkError = err.Error()
			h.mu.Unlock()
			if !h.checkDown.Load() && fails >= c.cfg.Fails {
				h.checkDown.Store(true)
				c.log.Warn("upstream target down", "upstream", upstream, "target", t.name, "error", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check probes a target once: a 2xx or 3xx answer within the timeout
// passes.
func (c *checker) check(ctx context.Context, probe string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "crossgate-health-check")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("%s answered %d", probe, resp.StatusCode)
	}
	return nil
}

package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/csrf"
)

// newCSRF builds a route's CSRF protection. It trusts the origins the
// route's CORS policy names, so that the pages allowed to read responses
// may also send state-changing requests; a route without a policy trusts
// no other origin.
func newCSRF(rt *route, c *config.CSRF) (*csrf.Protection, error) {
	mode, err := csrf.ParseMode(string(c.Mode))
	if err != nil {
		return nil, err
	}
	cfg := csrf.Config{Mode: mode, ExemptPaths: c.ExemptPaths, TokenTTL: c.TokenTTL, CookieDomain: c.CookieDomain}
	if c.Secret != "" {
		cfg.Secrets = []string{c.Secret}
	}
	if rt.policy != nil {
		cfg.TrustedOrigin = rt.policy.cors.TrustsOrigin
	}
	p, err := csrf.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("csrf: %w", err)
	}
	return p, nil
}

// protect runs the route's CSRF protection after CORS, so preflights never
// reach it. It reports whether the request may go on; a refusal has been
// written, with the route policy's CORS headers so that the page can read
// why, and its reason is recorded for the metrics and the access log.
func (g *Gateway) protect(w *statusRecorder, r *http.Request, rt *route, d *cors.Decision) bool {
	cw := &corsOnRefusal{ResponseWriter: w, d: d}
	err := rt.csrf.Protect(cw, r)
	if err == nil {
		return true
	}
	var e csrf.Error
	if errors.As(err, &e) {
		w.csrfReason = e.Reason.String()
		g.metrics.csrf.WithLabelValues(rt.metrics.route, w.csrfReason).Inc()
	}
	return false
}

// corsOnRefusal writes the CORS headers of a decision just before a status
// is written through it. The proxy's responses get them elsewhere; only a
// refusal is written through this writer.
type corsOnRefusal struct {
	http.ResponseWriter
	d       *cors.Decision
	applied bool
}

func (c *corsOnRefusal) WriteHeader(code int) {
	if !c.applied && c.d.Kind != cors.Preflight {
		c.applied = true
		c.d.Apply(c.Header())
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *corsOnRefusal) Write(b []byte) (int, error) {
	if !c.applied {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

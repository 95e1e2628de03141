// Package conformance proves Crossgate's CORS behaviour in a real browser.
// It serves the gateway, a recording upstream and web pages on distinct
// loopback origins, has headless Chromium run each Scenario's fetch() from
// its page, and compares what the browser saw (allowed or blocked, status,
// readable headers, the DevTools CORS error, the console message) and what
// the gateway and upstream received with the Scenario's Want.
//
// The pieces are exported for other tests: Env starts everything for a list
// of scenarios, Gateway and Upstream are usable on their own, and Scenarios
// is the suite's table, so that a tool that predicts a browser's verdict
// (crossgate check) can be compared with the browser itself.
package conformance

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

// A page is an origin scripts run in: a scheme and host on one of the Env's
// page listeners.
type page struct {
	scheme string
	host   string
	// listener: 0 the first plain one, 1 the second plain one, 2 the TLS one.
	listener int
}

// pages are the origins a Scenario can run from, by name. Every name is
// also a placeholder, {{name}}, for the page's origin in policies.
var pages = map[string]page{
	// The application, over plain HTTP and over HTTPS.
	"app":     {"http", "app.example.test", 0},
	"app-tls": {"https", "app.example.test", 2},
	// The same host on another port, for port wildcards.
	"app-port2": {"http", "app.example.test", 1},
	// Subdomains of example.test, and example.test itself.
	"www":  {"https", "www.example.test", 2},
	"deep": {"https", "deep.a.example.test", 2},
	"apex": {"https", "example.test", 2},
	// Preview deployments, for regexes.
	"pr":           {"https", "pr-12.preview.example.test", 2},
	"pr-bad":       {"https", "pr-x.preview.example.test", 2},
	"pr-lookalike": {"https", "pr-1.preview.example.test.evil.test", 2},
	// Attackers: an unrelated site, a host that starts with the allowed
	// one, a host that ends with the allowed domain without a dot.
	"evil":             {"http", "evil.test", 0},
	"evil-tls":         {"https", "evil.test", 2},
	"prefix-lookalike": {"https", "app.example.test.evil.test", 2},
	"suffix-lookalike": {"https", "evilexample.test", 2},
	// A site other than example.test that the policy trusts, for
	// cross-site (third-party) cookies.
	"partner": {"https", "partner.test", 2},
}

// Pages returns the names of the pages a Scenario can run from, sorted,
// DataPage included.
func Pages() []string {
	names := []string{DataPage}
	for n := range pages {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DataPage is the Page name of a data: URL document. Its origin is opaque,
// so its requests carry Origin: null. Its fetches go to the plain HTTP
// gateway.
const DataPage = "data"

const dataPageURL = `data:text/html,<!doctype html><title>data</title><link rel="icon" href="data:,">`

// Host names the gateway answers under.
const (
	// APIHost is the gateway's host name.
	APIHost = "api.example.test"
	// OtherAPIHost reaches the same gateway as another origin, for
	// redirects across origins (upstream action hop/api2/...).
	OtherAPIHost = "api2.example.test"
)

// An Env is everything a scenario runs against: one browser, the page
// listeners, the gateway with one route per scenario, and the upstream.
type Env struct {
	Browser  *e2e.Browser
	Gateway  *Gateway
	Upstream *Upstream

	scenarios []Scenario
	listeners [3]*e2e.Server
	// expand replaces the placeholders of policies and URLs.
	expand *strings.Replacer
}

// NewEnv launches a browser for t (skipping t when Chromium is missing, as
// e2e.LaunchTest does) and starts the listeners and a gateway whose config
// has one route per scenario, /ID/ for Scenario i's ID(i). Everything stops
// when t ends.
func NewEnv(t testing.TB, scenarios []Scenario) *Env {
	t.Helper()
	b := e2e.LaunchTest(t, e2e.Options{IgnoreCertificateErrors: true})
	env := &Env{Browser: b, scenarios: scenarios}
	pageHandler := http.HandlerFunc(e2e.ServePage)
	env.listeners = [3]*e2e.Server{
		e2e.NewServer("app.example.test", pageHandler),
		e2e.NewServer("app.example.test", pageHandler),
		e2e.NewTLSServer("app.example.test", pageHandler),
	}
	for _, l := range env.listeners {
		t.Cleanup(l.Close)
	}
	env.Upstream = StartUpstream()
	t.Cleanup(env.Upstream.Close)

	pairs := []string{
		"{{port:http}}", env.port(0),
		"{{port:http2}}", env.port(1),
		"{{port:https}}", env.port(2),
	}
	for _, name := range Pages() {
		if name != DataPage {
			pairs = append(pairs, "{{"+name+"}}", env.Origin(name))
		}
	}
	env.expand = strings.NewReplacer(pairs...)

	gw, err := ParseGateway(APIHost, env.Config())
	if err != nil {
		t.Fatal(err)
	}
	env.Gateway = gw
	t.Cleanup(gw.Close)
	return env
}

func (env *Env) port(listener int) string {
	_, port, _ := net.SplitHostPort(env.listeners[listener].Addr)
	return port
}

// Origin returns the serialized origin of the page name, "null" for
// DataPage.
func (env *Env) Origin(name string) string {
	if name == DataPage {
		return "null"
	}
	p, ok := pages[name]
	if !ok {
		return ""
	}
	return p.scheme + "://" + net.JoinHostPort(p.host, env.port(p.listener))
}

// PageURL returns the URL of the document of page name.
func (env *Env) PageURL(name string) (string, error) {
	if name == DataPage {
		return dataPageURL, nil
	}
	if _, ok := pages[name]; !ok {
		return "", fmt.Errorf("conformance: unknown page %q", name)
	}
	return env.Origin(name) + "/", nil
}

// scheme is the scheme of the gateway listener that page name calls: the
// page's own, since an https page may not call an http API (mixed content).
func scheme(name string) string {
	if p, ok := pages[name]; ok {
		return p.scheme
	}
	return "http"
}

// ID is the route ID, and first path segment, of scenario i.
func ID(i int) string { return fmt.Sprintf("c%02d", i) }

// Config returns the gateway config of the Env's scenarios, as YAML: one
// route per scenario, each with the scenario's policy inline, and three
// upstreams: api (the Upstream), slow (the Upstream with a 300 ms timeout)
// and down (a closed port).
func (env *Env) Config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upstreams:\n")
	fmt.Fprintf(&b, "  api: {targets: [%q]}\n", env.Upstream.Server.URL)
	fmt.Fprintf(&b, "  slow: {targets: [%q], timeout: 300ms}\n", env.Upstream.Server.URL)
	// Port 1 (tcpmux) is never served on a test machine: connections are
	// refused at once.
	fmt.Fprintf(&b, "  down: {targets: [\"http://127.0.0.1:1\"]}\n")
	fmt.Fprintf(&b, "routes:\n")
	for i, sc := range env.scenarios {
		up := sc.Upstream
		if up == "" {
			up = "api"
		}
		fmt.Fprintf(&b, "  - id: %s\n    path_prefix: /%s/\n    upstream: %s\n", ID(i), ID(i), up)
		fmt.Fprintf(&b, "    cors: %s\n", env.expand.Replace(sc.Policy))
		if sc.Route != "" {
			fmt.Fprintf(&b, "    %s\n", sc.Route)
		}
	}
	return b.String()
}

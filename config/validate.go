package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/fetch"
)

// Validate checks c as a whole: every reference resolves, every policy
// compiles, every address and URL parses. It returns an Errors listing
// every problem, or nil. Parse has already called it; a store that builds
// a snapshot in another way, or an API that edits one, calls it before
// the snapshot is used. Validate does not fill in defaults: a Config built
// in code sets every value Parse would have defaulted.
func (c *Config) Validate() error {
	if errs := c.check(); len(errs) > 0 {
		return errs.sorted()
	}
	return nil
}

type checker struct {
	c    *Config
	errs Errors
}

// errorf records a problem with the value at path, at the position of that
// value or, when it is absent from the file, of its nearest ancestor. It
// returns the error, whose Code a problem from the cors library sets.
func (k *checker) errorf(path, format string, args ...any) *Error {
	e := &Error{File: k.c.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if line, col, ok := k.c.Position(path); ok {
		e.Line, e.Col = line, col
	} else if k.c.pos != nil {
		// A problem with something the file does not mention at all, such
		// as a missing top-level key: point at the document's start.
		e.Line, e.Col = 1, 1
	}
	k.errs = append(k.errs, e)
	return e
}

// parent strips the last ".key" or "[i]" from a path.
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (c *Config) check() Errors {
	k := &checker{c: c}
	k.listen("listen", "listen", c.Listen)
	if c.TLS != nil {
		k.tls(c.TLS)
	}
	k.limits(c.Limits)
	if c.Admin != nil {
		k.admin(c.Admin)
		if sameListener(c.Listen, c.Admin.Listen) {
			k.errorf("admin.listen", "admin: listen: %q takes the gateway's own port (listen: %s); give the admin listener a port of its own, such as 127.0.0.1:9180", c.Admin.Listen, c.Listen)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Policies)) {
		path := child("policies", name)
		switch {
		case name == "":
			k.errorf(path, "a policy needs a name")
		case name == "off":
			k.errorf(path, `a policy cannot be named "off": "cors: off" turns CORS off on a route`)
		}
		if p := c.Policies[name]; p != nil {
			k.policy(p, path, fmt.Sprintf("policy %q", name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Upstreams)) {
		path := child("upstreams", name)
		if name == "" {
			k.errorf(path, "an upstream needs a name")
		}
		if u := c.Upstreams[name]; u != nil {
			k.upstream(u, path, fmt.Sprintf("upstream %q", name))
		}
	}
	ids := make(map[string]int, len(c.Routes))
	for i, r := range c.Routes {
		path := index("routes", i)
		if r == nil {
			k.errorf(path, "route %d is empty", i+1)
			continue
		}
		what := "route " + strconv.Quote(r.ID)
		switch first, dup := ids[r.ID]; {
		case r.ID == "":
			what = fmt.Sprintf("route %d", i+1)
			k.errorf(path, "%s: id is required: it names the route in metrics, logs and the Admin API", what)
		case dup:
			k.errorf(child(path, "id"), "%s: id is already used by route %d%s", what, first+1, k.line(index("routes", first)))
		default:
			ids[r.ID] = i
		}
		k.route(r, path, what)
	}
	if c.Defaults.CORS != nil {
		k.policyRef(c.Defaults.CORS, "defaults.cors", "defaults")
	}
	switch c.Metrics.PerRoute {
	case "", PerRouteAuto, PerRouteOn, PerRouteOff:
	default:
		k.errorf("metrics.per_route", "metrics: per_route %q is not auto, on or off", c.Metrics.PerRoute)
	}
	return k.errs
}

// line returns " (line N)" for the value at path, when it is known.
func (k *checker) line(path string) string {
	if pos, ok := k.c.pos[path]; ok {
		return fmt.Sprintf(" (line %d)", pos.line)
	}
	return ""
}

func (k *checker) listen(path, what, addr string) {
	if addr == "" {
		k.errorf(path, "%s: an address is required, such as 127.0.0.1:8080", what)
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		k.errorf(path, "%s: %q is not host:port; write e.g. 127.0.0.1:8080, or :8080 for every interface", what, addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		k.errorf(path, "%s: port %q is not a number from 0 to 65535", what, port)
	}
	if strings.ContainsAny(host, "/ ") {
		k.errorf(path, "%s: %q is not a host name or IP address", what, host)
	}
}

func (k *checker) tls(t *TLS) {
	switch {
	case t.CertFile == "" && t.KeyFile == "":
		k.errorf("tls", "tls: cert_file and key_file are required; remove tls to serve plain HTTP")
	case t.CertFile == "":
		k.errorf("tls", "tls: cert_file is required with key_file")
	case t.KeyFile == "":
		k.errorf("tls", "tls: key_file is required with cert_file")
	}
}

func (k *checker) admin(a *Admin) {
	k.listen("admin.listen", "admin: listen", a.Listen)
	if a.Listen != "" && len(a.Keys) == 0 && !loopback(a.Listen) {
		k.errorf("admin.listen", "admin: listen: %q is reachable from other machines, so the Admin API needs keys; add admin.keys or listen on 127.0.0.1", a.Listen)
	}
	names := make(map[string]int)
	secrets := make(map[string]int)
	for i, key := range a.Keys {
		path := index("admin.keys", i)
		what := fmt.Sprintf("admin key %d", i+1)
		if key == nil {
			k.errorf(path, "%s is empty", what)
			continue
		}
		switch first, dup := names[key.Name]; {
		case key.Name == "":
			k.errorf(path, "%s: name is required: it identifies the key's holder in logs", what)
		case dup:
			k.errorf(child(path, "name"), "%s: name %q is already used by admin key %d", what, key.Name, first+1)
		default:
			names[key.Name] = i
		}
		switch first, dup := secrets[key.Key]; {
		case key.Key == "":
			k.errorf(child(path, "key"), "%s: key is required; write \"${SOME_VARIABLE}\" to keep it out of the file", what)
		case len(key.Key) < MinAdminKeyLength:
			k.errorf(child(path, "key"), "%s: key is shorter than %d bytes; generate one with: openssl rand -hex 32", what, MinAdminKeyLength)
		case dup:
			k.errorf(child(path, "key"), "%s: key is the same as admin key %d's; give each holder their own", what, first+1)
		default:
			secrets[key.Key] = i
		}
		if key.Role != RoleAdmin && key.Role != RoleViewer {
			k.errorf(child(path, "role"), "%s: role %q is not admin or viewer", what, key.Role)
		}
	}
}

// sameListener reports whether two listen addresses would bind the same
// port on a common address, so that the second fails to start.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	return strings.EqualFold(ha, hb) || unspecified(ha) || unspecified(hb)
}

// unspecified reports whether a listen host means every interface.
func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || ip != nil && ip.IsUnspecified()
}

// loopback reports whether a listen address is reachable from this machine
// only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// corsKeys maps the fields of cors.Config to the keys of the file, so that
// the library's errors point at what the user wrote.
var corsKeys = map[string]string{
	"AllowOrigins":                          "allow_origins",
	"AllowOriginRegex":                      "allow_origin_regex",
	"AllowMethods":                          "allow_methods",
	"AllowHeaders":                          "allow_headers",
	"ExposeHeaders":                         "expose_headers",
	"AllowCredentials":                      "allow_credentials",
	"MaxAge":                                "max_age",
	"PreflightStatus":                       "preflight_status",
	"AllowPrivateNetwork":                   "allow_private_network",
	"TimingAllowOrigin":                     "timing_allow_origin",
	"DangerouslyAllowInsecureOrigins":       "dangerously_allow_insecure_origins",
	"DangerouslyAllowPublicSuffixWildcards": "dangerously_allow_public_suffix_wildcards",
}

// corsWords rewrites the field names in the library's messages.
var corsWords = func() *strings.Replacer {
	var pairs []string
	for _, f := range slices.Sorted(maps.Keys(corsKeys)) {
		pairs = append(pairs, f, corsKeys[f])
	}
	return strings.NewReplacer(pairs...)
}()

func (k *checker) policy(p *Policy, path, what string) {
	switch p.Mode {
	case ModeGateway, ModeUpstream, ModeShadow:
	default:
		k.errorf(child(path, "mode"), "%s: mode %q is not gateway, upstream or shadow", what, p.Mode)
	}
	if p.EnforceOrigin && p.Mode != ModeGateway && p.Mode != "" {
		k.errorf(child(path, "enforce_origin"), "%s: enforce_origin needs mode gateway: in mode %s the upstream owns CORS", what, p.Mode)
	}
	var err error
	if p.MaxAge < -1 || p.MaxAge > int(cors.MaxMaxAge.Seconds()) {
		k.errorf(child(path, "max_age"), "%s: max_age %d is not from -1 (no caching) to 86400 seconds; browsers cap it anyway (Chrome at 7200)", what, p.MaxAge)
		// The other problems, without repeating this one.
		cfg := p.CORSConfig()
		cfg.MaxAge = 0
		_, err = cors.New(cfg)
	} else {
		_, err = k.c.CORSPolicy(p)
	}
	for _, e := range cors.ConfigErrors(err) {
		if p.Mode == ModeUpstream && e.Field == "AllowOrigins" && e.Index < 0 {
			// The upstream owns CORS: a policy may only set the mode.
			continue
		}
		key, ok := corsKeys[e.Field]
		if !ok {
			key = e.Field
		}
		field := child(path, key)
		if e.Index >= 0 {
			field = index(field, e.Index)
		}
		label := key
		switch {
		case e.Index >= 0:
			label = fmt.Sprintf("%s[%d] %q", key, e.Index, e.Value)
		case e.Value != "":
			label += " " + e.Value
		}
		k.errorf(field, "%s: %s: %s", what, label, corsWords.Replace(e.Problem)).Code = e.Code
	}
	if err != nil && len(cors.ConfigErrors(err)) == 0 {
		k.errorf(path, "%s: %v", what, err)
	}
}

func (k *checker) upstream(u *Upstream, path, what string) {
	if len(u.Targets) == 0 {
		k.errorf(child(path, "targets"), "%s: at least one target is required, such as http://127.0.0.1:9001", what)
	}
	seen := make(map[string]bool)
	for i, t := range u.Targets {
		p := index(child(path, "targets"), i)
		if problem := targetProblem(t); problem != "" {
			k.errorf(p, "%s: target %q %s", what, t, problem)
			continue
		}
		if seen[t] {
			k.errorf(p, "%s: target %q is listed twice", what, t)
		}
		seen[t] = true
	}
	if u.Timeout <= 0 {
		k.errorf(child(path, "timeout"), "%s: timeout must be positive, such as 30s", what)
	}
	k.count(path, what, "retries", u.Retries, 0, "0 (off)", maxRetries)
	k.count(path, what, "max_fails", u.MaxFails, 0, "0 (passive health off)", maxFails)
	if u.MaxFails > 0 && u.FailTimeout <= 0 {
		k.errorf(child(path, "fail_timeout"), "%s: fail_timeout must be positive, such as 10s, while max_fails is not 0", what)
	}
	if h := u.HealthCheck; h != nil {
		k.healthCheck(h, child(path, "health_check"), what+": health_check")
	}
}

// Bounds of the failover settings: past them a value is a typo, not a
// setting (each target is tried at most once per request anyway).
const (
	maxRetries = 100
	maxFails   = 1000
)

func (k *checker) healthCheck(h *HealthCheck, path, what string) {
	switch {
	case h.Path == "":
		k.errorf(path, "%s: path is required, such as /healthz", what)
	case !strings.HasPrefix(h.Path, "/"):
		k.errorf(child(path, "path"), "%s: path %q must start with /", what, h.Path)
	default:
		if u, err := url.ParseRequestURI(h.Path); err != nil || u.Host != "" || strings.HasPrefix(h.Path, "//") || strings.ContainsAny(h.Path, " #\x00\r\n\t") {
			k.errorf(child(path, "path"), "%s: path %q is not a request path, such as /healthz?full=1", what, h.Path)
		}
	}
	if h.Interval < MinCheckInterval {
		k.errorf(child(path, "interval"), "%s: interval must be at least %v, such as 5s", what, MinCheckInterval)
	}
	if h.Timeout <= 0 {
		k.errorf(child(path, "timeout"), "%s: timeout must be positive, such as 2s", what)
	}
	k.count(path, what, "fails", h.Fails, 1, "1", maxFails)
	k.count(path, what, "passes", h.Passes, 1, "1", maxFails)
}

// count checks that the count at key is between lo, which low says in
// words, and hi.
func (k *checker) count(path, what, key string, v, lo int, low string, hi int) {
	if v < lo || v > hi {
		k.errorf(child(path, key), "%s: %s must be between %s and %d, such as 1", what, key, low, hi)
	}
}

// targetProblem says what is wrong with an upstream URL, or "".
func targetProblem(t string) string {
	u, err := url.Parse(t)
	switch {
	case !strings.Contains(t, "://"):
		// "127.0.0.1:9001" does not even parse; "localhost:9001" parses
		// with the scheme "localhost".
		return "has no scheme: write " + strconv.Quote("http://"+t) + " (or https://)"
	case err != nil:
		return "is not a URL: " + strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(t)+": ")
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute http:// or https:// URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not carry credentials; the gateway forwards the client's own"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not have a query or fragment"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

func (k *checker) route(r *Route, path, what string) {
	switch {
	case r.Path == "" && r.PathPrefix == "":
		k.errorf(path, "%s: path or path_prefix is required", what)
	case r.Path != "" && r.PathPrefix != "":
		k.errorf(child(path, "path_prefix"), "%s: path and path_prefix exclude each other; keep one", what)
	case r.Path != "" && !strings.HasPrefix(r.Path, "/"):
		k.errorf(child(path, "path"), "%s: path %q must start with /", what, r.Path)
	case r.PathPrefix != "" && !strings.HasPrefix(r.PathPrefix, "/"):
		k.errorf(child(path, "path_prefix"), "%s: path_prefix %q must start with /", what, r.PathPrefix)
	}
	if r.StripPrefix && r.PathPrefix == "" {
		k.errorf(child(path, "strip_prefix"), "%s: strip_prefix needs path_prefix", what)
	}
	if r.MaxBodyBytes < 0 {
		k.errorf(child(path, "max_body_bytes"), "%s: max_body_bytes must be positive (or left out for no limit)", what)
	}
	for i, h := range r.Hosts {
		if !validHost(h) {
			k.errorf(index(child(path, "hosts"), i), "%s: host %q is not a host name or IP address (no scheme, port or path)", what, h)
		}
	}
	seen := make(map[string]bool)
	for i, m := range r.Methods {
		p := index(child(path, "methods"), i)
		switch {
		case !fetch.IsToken(m):
			k.errorf(p, "%s: %q is not a method name", what, m)
		case m != strings.ToUpper(m) && slices.Contains(standardMethods, strings.ToUpper(m)):
			k.errorf(p, "%s: methods are case-sensitive and clients send %s in upper case; write %q", what, strings.ToUpper(m), strings.ToUpper(m))
		case seen[m]:
			k.errorf(p, "%s: method %s is listed twice", what, m)
		}
		seen[m] = true
	}
	switch _, ok := k.c.Upstreams[r.Upstream]; {
	case r.Upstream == "":
		k.errorf(path, "%s: upstream is required", what)
	case !ok:
		k.errorf(child(path, "upstream"), "%s: upstream %q is not defined%s", what, r.Upstream, didYouMean(r.Upstream, slices.Collect(maps.Keys(k.c.Upstreams))))
	}
	if r.CORS != nil {
		k.policyRef(r.CORS, child(path, "cors"), what)
	}
	if r.CSRF != nil {
		k.csrf(r.CSRF, child(path, "csrf"), what+": csrf")
	}
}

func didYouMean(s string, names []string) string {
	if best := closest(s, names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

func (k *checker) policyRef(ref *PolicyRef, path, what string) {
	switch {
	case ref.Inline != nil:
		k.policy(ref.Inline, path, what+": cors")
	case ref.Off:
	case ref.Name == "":
		k.errorf(path, "%s: cors: expected a policy name, an inline policy or off", what)
	default:
		if _, ok := k.c.Policies[ref.Name]; !ok {
			k.errorf(path, "%s: cors: policy %q is not defined%s", what, ref.Name, didYouMean(ref.Name, slices.Collect(maps.Keys(k.c.Policies))))
		}
	}
}

func (k *checker) csrf(c *CSRF, path, what string) {
	token := c.Mode == CSRFToken || c.Mode == CSRFBoth
	switch c.Mode {
	case CSRFFetchMetadata, CSRFToken, CSRFBoth:
	case "":
		k.errorf(path, "%s: mode is required: fetch-metadata, token or both", what)
	default:
		k.errorf(child(path, "mode"), "%s: mode %q is not fetch-metadata, token or both", what, c.Mode)
	}
	for i, p := range c.ExemptPaths {
		if !strings.HasPrefix(p, "/") {
			k.errorf(index(child(path, "exempt_paths"), i), "%s: exempt path %q must start with /", what, p)
		}
	}
	switch {
	case c.Secret != "" && !token:
		k.errorf(child(path, "secret"), "%s: secret is used only by modes token and both", what)
	case c.Secret != "" && len(c.Secret) < MinCSRFSecretLength:
		k.errorf(child(path, "secret"), "%s: secret is shorter than %d bytes; generate one with: openssl rand -hex 32", what, MinCSRFSecretLength)
	}
	switch {
	case c.CookieDomain != "" && !token:
		k.errorf(child(path, "cookie_domain"), "%s: cookie_domain is used only by modes token and both", what)
	case c.CookieDomain != "" && !validHost(strings.TrimPrefix(c.CookieDomain, ".")):
		k.errorf(child(path, "cookie_domain"), "%s: cookie_domain %q is not a domain name", what, c.CookieDomain)
	}
	switch {
	case c.TokenTTL != 0 && !token:
		k.errorf(child(path, "token_ttl"), "%s: token_ttl is used only by modes token and both", what)
	case token && c.TokenTTL <= 0:
		k.errorf(child(path, "token_ttl"), "%s: token_ttl must be positive, such as 12h", what)
	}
}

// standardMethods are the methods clients always send in upper case.
var standardMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// validHost reports whether h is a host name or IP address as a Host
// header carries it, without the port.
func validHost(h string) bool {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ip := net.ParseIP(h[1 : len(h)-1])
		return ip != nil && ip.To4() == nil
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// limits checks the listener's limits: a head cap from 1 KiB to 1 MiB
// (net/http's own default), a connection limit of -1 (none), 0 (from the
// descriptor limit) or more.
func (k *checker) limits(l Limits) {
	if n := l.MaxHeaderBytes; n != 0 && (n < 1<<10 || n > 1<<20) {
		k.errorf("limits.max_header_bytes", "limits: max_header_bytes: %d is outside 1024..1048576 bytes; the default, %d (64 KiB), fits browsers' cookies and tokens", n, DefaultMaxHeaderBytes)
	}
	if l.MaxConnections < -1 {
		k.errorf("limits.max_connections", "limits: max_connections: %d; give a number of connections, 0 to derive it from the descriptor limit, or -1 for none", l.MaxConnections)
	}
}

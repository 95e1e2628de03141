package importer

import (
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
	"go.yaml.in/yaml/v3"
)

// kongFormatVersions are the _format_version values Kong's declarative
// schema accepts.
var kongFormatVersions = []string{"1.1", "2.1", "3.0"}

// kongMethods are the cors plugin's methods when it lists none.
var kongMethods = []string{"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"}

// kongLiteral is what Kong takes for an origin rather than a regex.
var kongLiteral = regexp.MustCompile(`^[A-Za-z0-9.:/-]+$`)

type kongConversion struct {
	d         *doc
	r         reader
	version   string
	services  map[string]*yaml.Node // by name and by id
	upstreams map[string]*yaml.Node // Kong upstreams, by name
	svcUp     map[*yaml.Node]string // converted services
	policies  map[*yaml.Node]*policy
	// plugins that apply to a route or service, by its node; global
	// plugins under nil.
	plugins map[*yaml.Node][]kongPlugin
}

type kongPlugin struct {
	name string
	n    *yaml.Node
}

// parseKong converts a Kong declarative file: its services, routes
// (nested or top-level) and cors plugins at any level, route over service
// over global, as Kong applies them.
func parseKong(d *doc, files []Input) {
	for _, in := range files {
		r := reader{d: d, file: in.Name}
		for _, n := range d.documents(in) {
			r.near = n
			if !r.mapping(n, "document") {
				continue
			}
			c := &kongConversion{d: d, r: r, services: map[string]*yaml.Node{}, upstreams: map[string]*yaml.Node{},
				svcUp: map[*yaml.Node]string{}, policies: map[*yaml.Node]*policy{}, plugins: map[*yaml.Node][]kongPlugin{}}
			c.file(n)
		}
	}
}

func (c *kongConversion) file(n *yaml.Node) {
	r := c.r
	fv := get(n, "_format_version")
	c.version = r.str(fv, "_format_version")
	switch {
	case fv == nil:
		c.d.report(lint.Error, ruleFormatVersion, r.at(n, "_format_version"), "_format_version is missing: Kong requires it (\"3.0\"); is this a Kong declarative file?")
		return
	case !slices.Contains(kongFormatVersions, c.version):
		c.d.report(lint.Error, ruleFormatVersion, r.at(fv, "_format_version"), "_format_version %q is not one Kong reads (%s); not converted", c.version, strings.Join(kongFormatVersions, ", "))
		return
	}
	for _, k := range keys(n) {
		switch k {
		case "_format_version", "_transform", "_comment", "_ignore", "_workspace", "_info", "services", "routes", "plugins", "upstreams", "targets":
		case "consumers", "consumer_groups", "certificates", "ca_certificates", "snis", "vaults", "keys", "key_sets":
			c.d.report(lint.Info, ruleNotConverted, r.at(keyNode(n, k), k), "%s are not converted: they serve plugins and TLS that Crossgate does not take over", k)
		default:
			c.d.report(lint.Warning, ruleNotConverted, r.at(keyNode(n, k), k), "%s is not converted", k)
		}
	}
	for _, u := range r.items(get(n, "upstreams"), "upstreams") {
		if name := r.str(get(u, "name"), "upstream name"); name != "" {
			c.upstreams[name] = u
		}
	}
	// Top-level targets name their upstream.
	for _, t := range r.items(get(n, "targets"), "targets") {
		up := r.str(get(t, "upstream"), "target upstream")
		if c.upstreams[up] == nil {
			c.d.report(lint.Error, ruleMissingReference, r.at(t, "target"), "target names upstream %q, which is not in the file", up)
		}
	}
	services := r.items(get(n, "services"), "services")
	for _, s := range services {
		for _, k := range []string{"name", "id"} {
			if v := r.str(get(s, k), "service "+k); v != "" {
				c.services[v] = s
			}
		}
		for _, p := range r.items(get(s, "plugins"), c.svcWhat(s)+" plugins") {
			c.plugins[s] = append(c.plugins[s], kongPlugin{r.str(get(p, "name"), "plugin name"), p})
		}
	}
	routes := c.routes(n, services)
	c.topLevelPlugins(n, routes)

	// Global plugins.
	for _, p := range c.enabled(nil) {
		if p.name == "cors" {
			if pol := c.cors(p, "every route"); pol != nil {
				c.d.defaults = pol.name
			}
			continue
		}
		c.d.pluginNotConverted(r.at(p.n, "plugin "+p.name), p.name, "the whole file", "every route")
	}
	for _, rs := range routes {
		c.route(rs[0], rs[1])
	}
}

// routes returns every route of the file with its service: those nested
// in services, and the top-level ones that name their service.
func (c *kongConversion) routes(n *yaml.Node, services []*yaml.Node) [][2]*yaml.Node {
	r := c.r
	var routes [][2]*yaml.Node // route, service
	for _, s := range services {
		for _, rt := range r.items(get(s, "routes"), c.svcWhat(s)+" routes") {
			routes = append(routes, [2]*yaml.Node{rt, s})
		}
	}
	for _, rt := range r.items(get(n, "routes"), "routes") {
		ref := get(rt, "service")
		if get(ref, "name") != nil || get(ref, "id") != nil {
			ref = firstOf(get(ref, "name"), get(ref, "id"))
		}
		name := r.str(ref, "route service")
		s := c.services[name]
		if s == nil {
			if name == "" {
				c.d.report(lint.Error, ruleMissingReference, r.at(rt, c.routeWhat(rt)), "%s has no service, so Kong has nowhere to proxy it; not converted", c.routeWhat(rt))
			} else {
				c.d.report(lint.Error, ruleMissingReference, r.at(ref, c.routeWhat(rt)), "%s names service %q, which is not in the file; not converted", c.routeWhat(rt), name)
			}
			continue
		}
		routes = append(routes, [2]*yaml.Node{rt, s})
	}
	return routes
}

// topLevelPlugins files the plugins of the top-level list under the route
// or service they name, or under nil when they apply to every route, and
// those of each route under it.
func (c *kongConversion) topLevelPlugins(n *yaml.Node, routes [][2]*yaml.Node) {
	r := c.r
	byName := map[string]*yaml.Node{}
	for _, rs := range routes {
		for _, p := range r.items(get(rs[0], "plugins"), c.routeWhat(rs[0])+" plugins") {
			c.plugins[rs[0]] = append(c.plugins[rs[0]], kongPlugin{r.str(get(p, "name"), "plugin name"), p})
		}
		for _, k := range []string{"name", "id"} {
			if v := r.str(get(rs[0], k), "route "+k); v != "" {
				byName[v] = rs[0]
			}
		}
	}
	for _, p := range r.items(get(n, "plugins"), "plugins") {
		name := r.str(get(p, "name"), "plugin name")
		at := r.at(p, "plugin "+name)
		if cons := get(p, "consumer"); cons != nil {
			c.d.report(lint.Warning, ruleNotConverted, at, "plugin %s applies to one consumer, which Crossgate does not know: not converted", name)
			continue
		}
		var owner *yaml.Node
		switch {
		case get(p, "route") != nil:
			ref := r.str(firstOf(get(get(p, "route"), "name"), get(get(p, "route"), "id"), get(p, "route")), "plugin route")
			if owner = byName[ref]; owner == nil {
				c.d.report(lint.Error, ruleMissingReference, at, "plugin %s names route %q, which is not in the file", name, ref)
				continue
			}
		case get(p, "service") != nil:
			ref := r.str(firstOf(get(get(p, "service"), "name"), get(get(p, "service"), "id"), get(p, "service")), "plugin service")
			if owner = c.services[ref]; owner == nil {
				c.d.report(lint.Error, ruleMissingReference, at, "plugin %s names service %q, which is not in the file", name, ref)
				continue
			}
		}
		c.plugins[owner] = append(c.plugins[owner], kongPlugin{name, p})
	}
}

// firstOf returns the first of ns that is not nil.
func firstOf(ns ...*yaml.Node) *yaml.Node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}

// enabled returns the plugins of owner that are enabled.
func (c *kongConversion) enabled(owner *yaml.Node) []kongPlugin {
	var out []kongPlugin
	for _, p := range c.plugins[owner] {
		if !c.r.boolean(get(p.n, "enabled"), "plugin "+p.name+" enabled", true) {
			c.d.report(lint.Info, ruleDisabled, c.r.at(p.n, "plugin "+p.name), "plugin %s is disabled (enabled: false); left out", p.name)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (c *kongConversion) svcWhat(s *yaml.Node) string {
	return "service " + c.r.str(firstOf(get(s, "name"), get(s, "id")), "service name")
}

func (c *kongConversion) routeWhat(rt *yaml.Node) string {
	return "route " + c.r.str(firstOf(get(rt, "name"), get(rt, "id")), "route name")
}

func (c *kongConversion) route(rt, svc *yaml.Node) {
	r, what := c.r, c.routeWhat(rt)
	at := r.at(rt, what)
	up := c.service(svc)
	if up == "" {
		return
	}
	// Plugins: the route's over its service's over the global ones.
	merged := map[string]kongPlugin{}
	for _, owner := range []*yaml.Node{nil, svc, rt} {
		for _, p := range c.enabled(owner) {
			merged[p.name] = p
		}
	}
	ownerOf := func(p kongPlugin) string {
		switch {
		case slices.ContainsFunc(c.plugins[rt], func(q kongPlugin) bool { return q.n == p.n }):
			return what
		case slices.ContainsFunc(c.plugins[svc], func(q kongPlugin) bool { return q.n == p.n }):
			return c.svcWhat(svc)
		}
		return "every route"
	}
	corsName := ""
	if p, ok := merged["cors"]; ok {
		pol := c.cors(p, ownerOf(p))
		if pol == nil {
			return
		}
		corsName = pol.name
	} else if c.d.defaults == "" {
		corsName = "off"
	}
	for _, name := range sortedKeys(merged) {
		if name == "cors" || slices.ContainsFunc(c.plugins[nil], func(g kongPlugin) bool { return g.n == merged[name].n }) {
			continue // global plugins are reported once
		}
		c.d.pluginNotConverted(r.at(merged[name].n, "plugin "+name), name, ownerOf(merged[name]), what)
	}
	for _, key := range []string{"headers", "snis", "sources", "destinations"} {
		if n := get(rt, key); n != nil {
			c.d.report(lint.Warning, ruleNotConverted, r.at(n, what+" "+key), "%s: %s matches are not converted: the route takes requests whatever their %s", what, key, key)
		}
	}
	if r.boolean(get(rt, "preserve_host"), what+" preserve_host", false) {
		c.d.report(lint.Info, ruleDefaultChanged, at, "%s: preserve_host is not converted: Crossgate sends the target's host, and the client's in X-Forwarded-Host", what)
	}
	var hosts []string
	for _, h := range r.strs(get(rt, "hosts"), what+" hosts") {
		if strings.HasPrefix(h, "*.") || strings.HasSuffix(h, ".*") {
			c.d.report(lint.Warning, ruleHostWildcard, at, "%s: host %q is a wildcard, which Crossgate routes do not match; it is left out, so the route takes every host unless other hosts are listed: list the host names", what, h)
			continue
		}
		hosts = append(hosts, strings.ToLower(h))
	}
	methods := r.strs(get(rt, "methods"), what+" methods")
	strip := r.boolean(get(rt, "strip_path"), what+" strip_path", true)
	paths := r.strs(get(rt, "paths"), what+" paths")
	if len(paths) == 0 {
		paths = []string{"/"}
	}
	base := r.str(firstOf(get(rt, "name"), get(rt, "id")), what)
	if base == "" {
		base = "route"
	}
	for i, p := range paths {
		rr := &route{id: base, source: at, hosts: hosts, methods: methods, upstream: up, cors: corsName}
		if len(paths) > 1 {
			rr.id = fmt.Sprintf("%s-%d", base, i)
		}
		regex := strings.HasPrefix(p, "~") || c.version != "3.0" && !kongLiteral.MatchString(p) && strings.ContainsAny(p, `[]()*+?{}|^$\`)
		if regex {
			prefix := literalPrefix(strings.TrimPrefix(strings.TrimPrefix(p, "~"), "^"))
			if !strings.HasPrefix(prefix, "/") {
				prefix = "/"
			}
			c.d.report(lint.Warning, ruleNotConverted, at, "%s: regex path %q is not converted: Crossgate routes match exact paths and prefixes; it is written as the prefix %q, which takes more requests", what, p, prefix)
			p = prefix
		}
		if !strings.HasPrefix(p, "/") {
			r.bad(get(rt, "paths"), what, "%s: path %q must start with /", what, p)
			continue
		}
		rr.prefix = p
		rr.strip = strip && p != "/"
		c.d.addRoute(rr)
	}
}

// literalPrefix returns the literal start of a regex.
func literalPrefix(re string) string {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return ""
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return ""
	}
	prefix, _ := prog.Prefix()
	return prefix
}

// service converts a service's upstream once and returns its name.
func (c *kongConversion) service(s *yaml.Node) string {
	if u, ok := c.svcUp[s]; ok {
		return u
	}
	r, what := c.r, c.svcWhat(s)
	at := r.at(s, what)
	scheme, host, path := r.str(get(s, "protocol"), what+" protocol"), r.str(get(s, "host"), what+" host"), r.str(get(s, "path"), what+" path")
	port, hasPort := r.integer(get(s, "port"), what+" port")
	if raw := r.str(get(s, "url"), what+" url"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			r.bad(get(s, "url"), what, "%s: url %q is not an absolute URL", what, raw)
			c.svcUp[s] = ""
			return ""
		}
		scheme, host, path = u.Scheme, u.Hostname(), u.Path
		if p := u.Port(); p != "" {
			port, _ = strconv.ParseInt(p, 10, 64)
			hasPort = true
		} else {
			hasPort = false
		}
	}
	if scheme == "" {
		scheme = "http"
	}
	if scheme != "http" && scheme != "https" {
		c.d.report(lint.Error, ruleNotConverted, at, "%s uses protocol %s; Crossgate forwards http and https only; not converted", what, scheme)
		c.svcUp[s] = ""
		return ""
	}
	if host == "" {
		c.d.report(lint.Error, ruleMissingReference, at, "%s has neither url nor host; not converted", what)
		c.svcUp[s] = ""
		return ""
	}
	if !hasPort {
		port = 80
		if scheme == "https" {
			port = 443
		}
	}
	var targets []string
	if ku, ok := c.upstreams[host]; ok {
		for _, t := range r.items(get(ku, "targets"), "upstream "+host+" targets") {
			targets = append(targets, scheme+"://"+r.str(get(t, "target"), "target")+path)
		}
		if len(targets) == 0 {
			c.d.report(lint.Error, ruleMissingReference, r.at(ku, "upstream "+host), "upstream %s has no targets; %s is not converted", host, what)
			c.svcUp[s] = ""
			return ""
		}
		if len(targets) > 1 {
			c.d.report(lint.Info, ruleWeightsIgnored, r.at(ku, "upstream "+host), "upstream %s: weights and balancing are not converted: Crossgate spreads requests evenly over its targets", host)
		}
	} else {
		targets = []string{fmt.Sprintf("%s://%s:%d%s", scheme, host, port, path)}
	}
	u := &upstream{name: strings.TrimPrefix(what, "service "), source: at, targets: targets, retries: -1}
	if v, ok := r.integer(get(s, "retries"), what+" retries"); ok && v >= 0 {
		u.retries = int(min(v, 10))
	}
	if ku, ok := c.upstreams[host]; ok {
		if active := get(get(ku, "healthchecks"), "active"); active != nil {
			u.health = r.healthCheck(active, "upstream "+host+" healthchecks.active", "http_path", "http_failures", true)
		}
	}
	if ms, ok := r.integer(get(s, "read_timeout"), what+" read_timeout"); ok && ms > 0 {
		u.timeout = fmt.Sprintf("%dms", ms)
	}
	name := c.d.addUpstream(u).name
	c.svcUp[s] = name
	return name
}

// cors converts a cors plugin once, or returns nil when Crossgate refuses
// it.
func (c *kongConversion) cors(pl kongPlugin, scope string) *policy {
	if p, ok := c.policies[pl.n]; ok {
		return p
	}
	r := c.r
	conf := get(pl.n, "config")
	what := "the cors plugin of " + scope
	at := r.at(pl.n, what)
	p := &policy{name: strings.TrimPrefix(strings.TrimPrefix(scope, "route "), "service ") + "-cors", source: at}
	if scope == "every route" {
		p.name = "global-cors"
	}
	p.p.AllowCredentials = r.boolean(get(conf, "credentials"), what+" credentials", false)
	p.p.AllowPrivateNetwork = r.boolean(get(conf, "private_network"), what+" private_network", false)
	originsAt := r.at(get(conf, "origins"), what+" origins")
	origins := r.strs(get(conf, "origins"), what+" origins")
	if len(origins) == 0 || slices.Contains(origins, "*") {
		if p.p.AllowCredentials {
			c.d.wildcardCredentials(originsAt, what, "Kong then echoes the request's origin")
			return nil
		}
		p.p.AllowOrigins = []string{"*"}
	} else {
		if len(origins) == 1 && kongLiteral.MatchString(origins[0]) {
			c.d.report(lint.Info, ruleSingleOrigin, originsAt, "%s: Kong sent Access-Control-Allow-Origin: %s to every request, whatever its Origin; Crossgate sends it only to that origin, with Vary: Origin", what, origins[0])
		}
		for _, o := range origins {
			switch {
			case kongLiteral.MatchString(o) && strings.Contains(o, "://"):
				c.d.convertOrigin(originsAt, o, p)
			default:
				c.kongRegex(originsAt, o, p)
			}
		}
	}
	methods := r.strs(get(conf, "methods"), what+" methods")
	if len(methods) == 0 {
		methods = kongMethods
		p.notes = append(p.notes, "allow_methods: Kong's default when methods is left out")
	}
	c.d.convertMethods(r.at(get(conf, "methods"), what+" methods"), methods, p)
	if get(conf, "headers") == nil {
		c.d.echoHeaders(at, p, what+": with headers left out, Kong")
	} else {
		p.p.AllowHeaders = r.strs(get(conf, "headers"), what+" headers")
	}
	p.p.ExposeHeaders = r.strs(get(conf, "exposed_headers"), what+" exposed_headers")
	if v, ok := r.integer(get(conf, "max_age"), what+" max_age"); ok {
		c.d.maxAge(r.at(get(conf, "max_age"), what+" max_age"), v, p)
	}
	p.p.PreflightStatus = 200
	p.notes = append(p.notes, "preflight_status 200: Kong answers preflights with 200")
	if r.boolean(get(conf, "preflight_continue"), what+" preflight_continue", false) {
		p.p.Mode = config.ModeUpstream
		c.d.report(lint.Info, rulePreflightForward, at, "%s: preflight_continue sends preflights to the upstream; the policy is written in mode upstream, where the upstream answers CORS", what)
	}
	if !r.boolean(get(conf, "allow_origin_absent"), what+" allow_origin_absent", true) {
		c.d.report(lint.Info, ruleDefaultChanged, at, "%s: allow_origin_absent: false is not converted: Crossgate writes no CORS headers on requests without Origin anyway, except Vary", what)
	}
	p = c.d.addPolicy(p)
	c.policies[pl.n] = p
	return p
}

// kongRegex converts a Kong origin regex. Kong anchors it at both ends,
// and matches one without ":" against the host alone.
func (c *kongConversion) kongRegex(at src, re string, p *policy) {
	body := strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$")
	if _, err := regexp.Compile(body); err != nil {
		c.d.report(lint.Error, ruleRegexSyntax, at, "origin regex \"%s\" is left out: it is PCRE that Go's RE2 cannot compile (%v); rewrite it without lookarounds or backreferences", re, err)
		return
	}
	if !strings.Contains(body, ":") {
		scheme := "https?"
		if p.p.AllowCredentials {
			scheme = "https"
		}
		full := scheme + "://(?:" + body + ")(?::[0-9]+)?"
		sev, extra := lint.Info, ""
		if p.p.AllowCredentials {
			sev, extra = lint.Warning, "; with credentials only https origins are allowed, so http:// origins it matched are no longer allowed"
		}
		c.d.report(sev, ruleRegexHost, at, "origin regex \"%s\" has no scheme, so Kong matched it against the host alone; it is written \"%s\"%s", re, full, extra)
		body = full
	}
	p.p.AllowOriginRegex = append(p.p.AllowOriginRegex, body)
}

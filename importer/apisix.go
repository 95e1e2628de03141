package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
	"go.yaml.in/yaml/v3"
)

// An APISIX object as a file gives it: its kind ("routes", "upstreams"...),
// its id and its body, with where it is.
type apisixObject struct {
	kind, id string
	n        *yaml.Node
	r        reader
}

// apisixKinds are the resources the conversion reads; others are listed
// as not converted.
var apisixKinds = []string{"routes", "services", "upstreams", "plugin_configs", "global_rules", "plugin_metadata"}

// parseAPISIX converts APISIX routes with their services, upstreams and
// plugin configs. It reads a standalone apisix.yaml or apisix.json (the
// resources as top-level lists) and the Admin API's JSON (v3: {"key",
// "value"} or {"list": [...]}; v2: {"node": ...}), across any number of
// files: the resources of one may refer to those of another.
func parseAPISIX(d *doc, files []Input) {
	objs := map[string]map[string]*apisixObject{}
	for _, k := range apisixKinds {
		objs[k] = map[string]*apisixObject{}
	}
	var order []*apisixObject
	add := func(o *apisixObject) {
		if !slices.Contains(apisixKinds, o.kind) {
			o.r.d.report(lint.Warning, ruleNotConverted, o.r.at(o.n, o.kind), "APISIX %s are not converted", o.kind)
			return
		}
		if o.id == "" {
			o.r.bad(o.n, o.kind, "an APISIX object in %s needs an id", o.kind)
			return
		}
		if prev, dup := objs[o.kind][o.id]; dup {
			o.r.bad(o.n, fmt.Sprintf("%s %s", singular(o.kind), o.id), "%s %s is defined twice (first at %s:%d); keep one", singular(o.kind), o.id, prev.r.file, prev.n.Line)
			return
		}
		objs[o.kind][o.id] = o
		order = append(order, o)
	}
	for _, in := range files {
		r := reader{d: d, file: in.Name}
		docs := d.documents(in)
		standalone := false
		for _, n := range docs {
			r.near = n
			if !r.mapping(n, "document") {
				continue
			}
			switch {
			case get(n, "key") != nil || get(n, "list") != nil || get(n, "node") != nil:
				r.adminAPI(n, add)
			default:
				standalone = true
				for _, k := range keys(n) {
					if strings.HasSuffix(k, "_conf_version") {
						continue
					}
					kind := k
					for _, item := range r.items(get(n, k), k) {
						r.near = item
						add(&apisixObject{kind: kind, id: r.id(item, kind), n: item, r: r})
					}
				}
			}
		}
		if standalone && strings.HasSuffix(in.Name, ".yaml") && !bytes.Contains(in.Data, []byte("#END")) {
			d.report(lint.Info, ruleInvalidInput, src{file: in.Name, line: 1, col: 1}, "the file does not end with #END, so APISIX would not have loaded it yet; converted all the same")
		}
	}

	c := &apisixConversion{d: d, objs: objs, policies: map[*yaml.Node]*policy{}, upstreams: map[*yaml.Node]string{}}
	for _, o := range order {
		if o.kind == "global_rules" {
			c.globalRule(o)
		}
	}
	for _, o := range order {
		if o.kind == "routes" {
			c.route(o)
		}
	}
}

// adminAPI reads the Admin API's answers: one object, a list, or v2's
// node tree.
func (r reader) adminAPI(n *yaml.Node, add func(*apisixObject)) {
	switch {
	case get(n, "list") != nil:
		for _, item := range r.items(get(n, "list"), "list") {
			r.adminItem(item, add)
		}
	case get(n, "node") != nil:
		r.adminItem(get(n, "node"), add)
	default:
		r.adminItem(n, add)
	}
}

// adminItem reads one {"key": "/apisix/KIND/ID", "value": {...}}, or a
// v2 directory node whose nodes are such items.
func (r reader) adminItem(item *yaml.Node, add func(*apisixObject)) {
	if nodes := get(item, "nodes"); nodes != nil {
		for _, c := range r.items(nodes, "nodes") {
			r.adminItem(c, add)
		}
		return
	}
	key := r.str(get(item, "key"), "key")
	parts := strings.Split(strings.Trim(key, "/"), "/")
	value := get(item, "value")
	if len(parts) < 2 || parts[0] != "apisix" || value == nil {
		r.bad(item, "key", `expected an Admin API object, {"key": "/apisix/routes/1", "value": {...}}; got key %q`, key)
		return
	}
	id := r.id(value, parts[1])
	if id == "" && len(parts) > 2 {
		id = parts[2]
	}
	r.near = value
	add(&apisixObject{kind: parts[1], id: id, n: value, r: r})
}

// id returns an object's id, a string or a number.
func (r reader) id(n *yaml.Node, kind string) string {
	return r.str(get(n, "id"), singular(kind)+" id")
}

func singular(kind string) string {
	switch kind {
	case "plugin_metadata":
		return "plugin_metadata"
	case "services":
		return "service"
	}
	return strings.TrimSuffix(kind, "s")
}

type apisixConversion struct {
	d         *doc
	objs      map[string]map[string]*apisixObject
	policies  map[*yaml.Node]*policy // by cors plugin node, shared by the routes it applies to
	upstreams map[*yaml.Node]string  // by upstream node
}

// apisixPlugin is a plugin as it applies to a route, with where it comes
// from.
type apisixPlugin struct {
	conf  *yaml.Node
	r     reader
	owner string // `route 1 ("users")`, `service 1`, `plugin_config 2`
	label string // the owner's name in the output
}

// label names the object in the output: its name, else its kind and id.
func (o *apisixObject) label() string {
	if name := o.r.str(get(o.n, "name"), "name"); name != "" {
		return name
	}
	return singular(o.kind) + "-" + o.id
}

func (o *apisixObject) what() string {
	name := o.r.str(get(o.n, "name"), "name")
	if name != "" {
		return fmt.Sprintf("%s %s (%q)", singular(o.kind), o.id, name)
	}
	return fmt.Sprintf("%s %s", singular(o.kind), o.id)
}

// plugins merges the plugins of a route with those of its plugin config
// and service, as APISIX does: the route's win over the plugin config's,
// which win over the service's.
func (c *apisixConversion) plugins(layers ...*apisixObject) map[string]apisixPlugin {
	out := map[string]apisixPlugin{}
	for _, o := range layers {
		if o == nil {
			continue
		}
		label := o.label()
		ps := get(o.n, "plugins")
		for _, name := range keys(ps) {
			conf := get(ps, name)
			if conf == nil {
				conf = keyNode(ps, name)
			}
			if o.r.boolean(get(get(conf, "_meta"), "disable"), name+" _meta.disable", false) {
				delete(out, name)
				continue
			}
			out[name] = apisixPlugin{conf: conf, r: o.r, owner: o.what(), label: label}
		}
	}
	return out
}

// ref finds the object of kind that o names in key, reporting one that is
// not there.
func (c *apisixConversion) ref(o *apisixObject, key, kind string) (*apisixObject, bool) {
	n := get(o.n, key)
	if n == nil {
		return nil, true
	}
	id := o.r.str(n, key)
	target, ok := c.objs[kind][id]
	if !ok {
		c.d.report(lint.Error, ruleMissingReference, o.r.at(n, o.what()), "%s names %s %q, which is not in the input; add it, or give the files that hold it", o.what(), singular(kind), id)
	}
	return target, ok
}

func (c *apisixConversion) globalRule(o *apisixObject) {
	ps := c.plugins(o)
	if p, ok := ps["cors"]; ok {
		pol := c.cors(p)
		if pol != nil {
			c.d.defaults = pol.name
			c.d.report(lint.Info, ruleDefaultChanged, p.r.at(p.conf, o.what()), "the cors plugin of %s becomes defaults.cors: the policy of every route without one of its own", o.what())
		}
	}
	for _, name := range sortedKeys(ps) {
		if name != "cors" {
			c.notConverted(name, ps[name], "every route")
		}
	}
}

func (c *apisixConversion) route(o *apisixObject) {
	what := o.what()
	at := o.r.at(o.n, what)
	if v, ok := o.r.integer(get(o.n, "status"), what+" status"); ok && v == 0 {
		c.d.report(lint.Info, ruleDisabled, at, "%s is disabled (status 0); left out", what)
		return
	}
	svc, ok := c.ref(o, "service_id", "services")
	if !ok {
		return
	}
	pc, ok := c.ref(o, "plugin_config_id", "plugin_configs")
	if !ok {
		return
	}
	up := c.routeUpstream(o, svc)
	if up == "" {
		return
	}
	ps := c.plugins(svc, pc, o)
	corsName := ""
	if p, ok := ps["cors"]; ok {
		pol := c.cors(p)
		if pol == nil {
			return // refused, and reported
		}
		corsName = pol.name
	} else if c.d.defaults == "" {
		corsName = "off"
	}
	for _, name := range sortedKeys(ps) {
		if name != "cors" {
			c.notConverted(name, ps[name], what)
		}
	}
	for _, key := range []string{"vars", "filter_func", "remote_addr", "remote_addrs", "script"} {
		if n := get(o.n, key); n != nil {
			c.d.report(lint.Warning, ruleNotConverted, o.r.at(n, what+" "+key), "%s: %s is not converted: the route takes requests whatever their %s", what, key, strings.TrimSuffix(key, "s"))
		}
	}

	var hosts []string
	hostList := o.r.strs(get(o.n, "hosts"), what+" hosts")
	if h := o.r.str(get(o.n, "host"), what+" host"); h != "" {
		hostList = append(hostList, h)
	}
	if len(hostList) == 0 && svc != nil {
		hostList = svc.r.strs(get(svc.n, "hosts"), svc.what()+" hosts")
	}
	for _, h := range hostList {
		if strings.HasPrefix(h, "*.") {
			c.d.report(lint.Warning, ruleHostWildcard, at, "%s: host %q is a wildcard, which Crossgate routes do not match; it is left out, so the route takes every host unless other hosts are listed: list the host names", what, h)
			continue
		}
		hosts = append(hosts, strings.ToLower(h))
	}
	methods := o.r.strs(get(o.n, "methods"), what+" methods")

	uris := o.r.strs(get(o.n, "uris"), what+" uris")
	if u := o.r.str(get(o.n, "uri"), what+" uri"); u != "" {
		uris = append([]string{u}, uris...)
	}
	if len(uris) == 0 {
		o.r.bad(o.n, what, "%s has neither uri nor uris; APISIX requires one", what)
		return
	}
	base := o.label()
	for i, u := range uris {
		rt := &route{id: base, source: at, hosts: hosts, methods: methods, upstream: up, cors: corsName}
		if len(uris) > 1 {
			rt.id = fmt.Sprintf("%s-%d", base, i)
		}
		switch {
		case strings.HasSuffix(u, "*"):
			rt.prefix = strings.TrimSuffix(u, "*")
		default:
			rt.path = u
		}
		if p := rt.path + rt.prefix; strings.Contains(p, "/:") || strings.Contains(p, "*") {
			cut := strings.Index(p, "/:")
			if cut < 0 {
				cut = strings.Index(p, "*")
			}
			rt.path, rt.prefix = "", p[:cut+1]
			c.d.report(lint.Warning, ruleNotConverted, at, "%s: uri %q has parameters, which Crossgate routes do not match; it is written as the prefix %q", what, u, rt.prefix)
		}
		if !strings.HasPrefix(rt.path+rt.prefix, "/") {
			o.r.bad(get(o.n, "uri"), what, "%s: uri %q must start with /", what, u)
			continue
		}
		c.d.addRoute(rt)
	}
}

// routeUpstream returns the upstream of a route: its own, or its
// service's.
func (c *apisixConversion) routeUpstream(o, svc *apisixObject) string {
	for _, x := range []*apisixObject{o, svc} {
		if x == nil {
			continue
		}
		if n := get(x.n, "upstream"); n != nil {
			return c.upstream(n, x.r, x.what()+" upstream", x.label())
		}
		if get(x.n, "upstream_id") != nil {
			u, ok := c.ref(x, "upstream_id", "upstreams")
			if !ok {
				return ""
			}
			return c.upstream(u.n, u.r, u.what(), u.label())
		}
	}
	c.d.report(lint.Error, ruleMissingReference, o.r.at(o.n, o.what()), "%s has no upstream (neither its own nor its service's); not converted: add an upstream or upstream_id", o.what())
	return ""
}

// upstream converts an upstream once and returns its name.
func (c *apisixConversion) upstream(n *yaml.Node, r reader, what, name string) string {
	if u, ok := c.upstreams[n]; ok {
		return u
	}
	at := r.at(n, what)
	if get(n, "service_name") != nil || get(n, "discovery_type") != nil {
		c.d.report(lint.Error, ruleNotConverted, at, "%s finds its nodes by service discovery, which Crossgate does not do; not converted: list its nodes", what)
		return ""
	}
	scheme := r.str(get(n, "scheme"), what+" scheme")
	switch scheme {
	case "":
		scheme = "http"
	case "http", "https":
	default:
		c.d.report(lint.Error, ruleNotConverted, at, "%s uses scheme %s; Crossgate forwards http and https only", what, scheme)
		return ""
	}
	var targets []string
	weights := map[string]bool{}
	nodes := deref(get(n, "nodes"))
	switch {
	case nodes == nil:
	case nodes.Kind == yaml.MappingNode:
		for _, hp := range keys(nodes) {
			targets = append(targets, scheme+"://"+hp)
			weights[r.str(get(nodes, hp), what+" weight")] = true
		}
	default:
		for _, item := range r.items(nodes, what+" nodes") {
			host := r.str(get(item, "host"), what+" nodes host")
			port, ok := r.integer(get(item, "port"), what+" nodes port")
			t := scheme + "://" + host
			if ok {
				t += ":" + strconv.FormatInt(port, 10)
			}
			targets = append(targets, t)
			weights[r.str(get(item, "weight"), what+" weight")] = true
		}
	}
	if len(targets) == 0 {
		c.d.report(lint.Error, ruleMissingReference, at, "%s has no nodes; not converted: list at least one host:port", what)
		return ""
	}
	if t := r.str(get(n, "type"), what+" type"); len(weights) > 1 || t != "" && t != "roundrobin" {
		c.d.report(lint.Info, ruleWeightsIgnored, at, "%s: weights and balancing type are not converted: Crossgate spreads requests evenly over its targets", what)
	}
	u := &upstream{name: name, source: at, targets: targets, retries: -1}
	if v, ok := r.integer(get(n, "retries"), what+" retries"); ok && v >= 0 {
		u.retries = int(min(v, 10))
	}
	if active := get(get(n, "checks"), "active"); active != nil {
		u.health = r.healthCheck(active, what+" checks.active", "http_path", "http_failures", false)
	}
	if get(get(n, "checks"), "passive") != nil {
		c.d.report(lint.Info, ruleNotConverted, r.at(get(get(n, "checks"), "passive"), what), "%s: passive checks are not converted: Crossgate's max_fails and fail_timeout (1 failure, 10 s) count connection errors and timeouts, not statuses", what)
	}
	if to := get(n, "timeout"); to != nil {
		var total int64
		for _, k := range []string{"connect", "send", "read"} {
			if v, ok := r.integer(get(to, k), what+" timeout."+k); ok && v > 0 {
				total += v
			}
		}
		if total > 0 {
			u.timeout = fmt.Sprintf("%ds", total)
		}
	}
	if ph := r.str(get(n, "pass_host"), what+" pass_host"); (ph == "" || ph == "pass") && c.d.once("pass_host") {
		c.d.report(lint.Info, ruleDefaultChanged, at, "%s (and every upstream like it): APISIX passed the client's Host header upstream (pass_host: pass, its default); Crossgate sends the target's host, and the client's in X-Forwarded-Host", what)
	}
	name = c.d.addUpstream(u).name
	c.upstreams[n] = name
	return name
}

func (c *apisixConversion) notConverted(name string, p apisixPlugin, scope string) {
	c.d.pluginNotConverted(p.r.at(p.conf, p.owner), name, p.owner, scope)
}

// cors converts a cors plugin once per configuration, or returns nil when
// Crossgate refuses it.
func (c *apisixConversion) cors(pl apisixPlugin) *policy {
	if p, ok := c.policies[pl.conf]; ok {
		return p
	}
	r, n := pl.r, pl.conf
	what := "the cors plugin of " + pl.owner
	at := r.at(n, what)
	if deref(n) != nil && deref(n).Kind != yaml.MappingNode {
		r.bad(n, what, "%s: expected a mapping of settings, got %s", what, describe(n))
		return nil
	}
	str := func(key, def string) string {
		if v := get(n, key); v != nil {
			return r.str(v, what+" "+key)
		}
		return def
	}
	p := &policy{name: pl.label, source: at}
	p.p.AllowCredentials = r.boolean(get(n, "allow_credential"), what+" allow_credential", false)
	origins, methods, headers, expose := str("allow_origins", "*"), str("allow_methods", "*"), str("allow_headers", "*"), str("expose_headers", "")
	if p.p.AllowCredentials {
		for _, kv := range [][2]string{{"allow_origins", origins}, {"allow_methods", methods}, {"allow_headers", headers}, {"expose_headers", expose}} {
			if kv[1] == "*" {
				r.bad(n, what, `%s: %s "*" (its value or its default) with allow_credential: APISIX refuses it too ("you can not set '*' for other option when 'allow_credential' is true"); use "**" or list the values`, what, kv[0])
				return nil
			}
		}
	}

	regexes := r.strs(get(n, "allow_origins_by_regex"), what+" allow_origins_by_regex")
	meta := r.strs(get(n, "allow_origins_by_metadata"), what+" allow_origins_by_metadata")
	switch {
	case len(regexes) > 0:
		if get(n, "allow_origins") != nil {
			c.d.report(lint.Info, ruleDefaultChanged, at, "%s sets allow_origins_by_regex, so APISIX ignored its allow_origins (%q); so does the conversion", what, origins)
		}
		for _, re := range regexes {
			c.regex(r.at(get(n, "allow_origins_by_regex"), what+" allow_origins_by_regex"), re, p)
		}
	case len(meta) > 0:
		md := c.objs["plugin_metadata"]["cors"]
		for _, key := range meta {
			v := get(get(md.nodeOrNil(), "allow_origins"), key)
			if v == nil {
				c.d.report(lint.Error, ruleMissingReference, r.at(get(n, "allow_origins_by_metadata"), what), "%s: allow_origins_by_metadata names %q, which the cors plugin_metadata of the input does not define; give the file that holds it", what, key)
				continue
			}
			for _, o := range splitList(md.r.str(v, "plugin_metadata cors allow_origins")) {
				c.d.convertOrigin(at, o, p)
			}
		}
	default:
		switch origins {
		case "**":
			if p.p.AllowCredentials {
				c.d.wildcardCredentials(r.at(get(n, "allow_origins"), what), what, `allow_origins "**" echoes any request's origin`)
				return nil
			}
			c.d.report(lint.Info, ruleDefaultChanged, at, `%s: allow_origins "**" (echo any origin) is written "*"; without credentials the browser's verdict is the same`, what)
			p.p.AllowOrigins = []string{"*"}
		default:
			for _, o := range splitList(origins) {
				c.d.convertOrigin(r.at(get(n, "allow_origins"), what+" allow_origins"), o, p)
			}
		}
	}

	switch methods {
	case "**":
		c.d.convertMethods(r.at(get(n, "allow_methods"), what), strings.Split("GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS", ","), p)
	default:
		c.d.convertMethods(r.at(get(n, "allow_methods"), what+" allow_methods"), splitList(methods), p)
	}
	switch headers {
	case "**":
		c.d.echoHeaders(r.at(get(n, "allow_headers"), what+" allow_headers"), p, what+`: allow_headers "**"`)
	default:
		p.p.AllowHeaders = splitList(headers)
	}
	switch expose {
	case "**":
		p.p.ExposeHeaders = []string{"*"}
	default:
		p.p.ExposeHeaders = splitList(expose)
	}
	if v, ok := r.integer(get(n, "max_age"), what+" max_age"); ok {
		c.d.maxAge(r.at(get(n, "max_age"), what+" max_age"), v, p)
	} else {
		p.p.MaxAge = 5
		p.notes = append(p.notes, "max_age 5: APISIX's default when max_age is left out")
	}
	if get(n, "timing_allow_origins") != nil || get(n, "timing_allow_origins_by_regex") != nil {
		p.p.TimingAllowOrigin = true
		c.d.report(lint.Info, ruleTimingOrigins, at, "%s: timing_allow_origins becomes timing_allow_origin: true, which sends Timing-Allow-Origin to every origin the policy allows, not to a list of its own", what)
	}
	p.p.PreflightStatus = 200
	p.notes = append(p.notes, "preflight_status 200: APISIX answered preflights with 200")
	c.d.report(lint.Info, ruleOptionsAtEdge, at, "%s: APISIX answered every OPTIONS request of its routes with 200 itself, preflight or not, and a refused preflight with 200 without CORS headers; Crossgate answers preflights only (200, as APISIX did; 403 when refused) and sends other OPTIONS requests to the upstream", what)
	p = c.d.addPolicy(p)
	c.policies[pl.conf] = p
	return p
}

func (o *apisixObject) nodeOrNil() *yaml.Node {
	if o == nil {
		return nil
	}
	return o.n
}

// regex converts an APISIX origin regex, which APISIX matches anywhere in
// the origin (ngx.re.find), to one Crossgate matches against the whole
// origin.
func (c *apisixConversion) regex(at src, re string, p *policy) {
	body := strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$")
	if _, err := regexp.Compile(body); err != nil {
		c.d.report(lint.Error, ruleRegexSyntax, at, "origin regex \"%s\" is left out: it is PCRE that Go's RE2 cannot compile (%v); rewrite it without lookarounds or backreferences", re, err)
		return
	}
	if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
		example := ""
		if !strings.HasSuffix(re, "$") {
			example = ", such as one with \".attacker.test\" appended to a match"
			if e, ok := unanchoredExample(re, body); ok {
				example = ", such as " + e
			}
		}
		c.d.report(lint.Warning, ruleRegexAnchored, at, "origin regex \"%s\": APISIX matched it anywhere in the origin, so it also allowed origins that merely contain a match%s; Crossgate matches the whole origin, so it is written \"%s\" and no longer allows them: check that your own origins still match", re, example, body)
	}
	p.p.AllowOriginRegex = append(p.p.AllowOriginRegex, body)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// healthCheck converts an active health check of APISIX (checks.active)
// or Kong (healthchecks.active), which share their shape: a path, a
// timeout, and healthy/unhealthy thresholds and intervals. It returns nil
// for a check that is off (Kong's, without an interval) or not over HTTP.
func (r reader) healthCheck(n *yaml.Node, what, pathKey, failKey string, offWithoutInterval bool) *config.HealthCheck {
	if t := r.str(get(n, "type"), what+" type"); t != "" && t != "http" && t != "https" {
		r.d.report(lint.Info, ruleNotConverted, r.at(n, what), "%s: a %s health check is not converted: Crossgate's are HTTP GETs", what, t)
		return nil
	}
	h := &config.HealthCheck{Path: r.str(get(n, pathKey), what+" "+pathKey)}
	if h.Path == "" {
		h.Path = "/"
	}
	seconds := func(v *yaml.Node, key string) time.Duration {
		if s, ok := r.integer(v, what+" "+key); ok && s > 0 {
			return time.Duration(min(s, 3600)) * time.Second
		}
		return 0
	}
	h.Timeout = seconds(get(n, "timeout"), "timeout")
	h.Interval = seconds(get(get(n, "healthy"), "interval"), "healthy.interval")
	if h.Interval == 0 && offWithoutInterval && seconds(get(get(n, "unhealthy"), "interval"), "unhealthy.interval") == 0 {
		return nil // Kong's intervals default to 0, which turns the check off
	}
	if v, ok := r.integer(get(get(n, "unhealthy"), failKey), what+" unhealthy."+failKey); ok && v > 0 {
		h.Fails = int(min(v, 100))
	}
	if v, ok := r.integer(get(get(n, "healthy"), "successes"), what+" healthy.successes"); ok && v > 0 {
		h.Passes = int(min(v, 100))
	}
	if h.Timeout > 0 && h.Interval > 0 && h.Timeout >= h.Interval {
		h.Timeout = 0
	}
	return h
}

// unanchoredExample returns an origin that the regex re, matched anywhere
// in the origin as APISIX does, allows and that its anchored form body
// does not: the plainest match, with a host of the attacker's after it.
func unanchoredExample(re, body string) (string, bool) {
	meant, ok := lint.SampleMatch(body)
	if !ok {
		return "", false
	}
	// ".*" before a dot samples as nothing: "https://.example.com".
	meant = strings.Replace(meant, "://.", "://x.", 1)
	e := meant + ".attacker.test"
	loose, err1 := regexp.Compile(re)
	whole, err2 := regexp.Compile(`^(?:` + body + `)$`)
	if err1 != nil || err2 != nil || !loose.MatchString(e) || whole.MatchString(e) {
		return "", false
	}
	return e, true
}

package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
	"go.yaml.in/yaml/v3"
)

// parseGatewayAPI converts HTTPRoutes (GEP-1767 CORS filters). Each rule
// becomes a policy (when it has a CORS filter) and one route per match;
// a rule without a CORS filter gets cors: off, as the Gateway API adds no
// CORS headers there. Other kinds are skipped with an info.
func parseGatewayAPI(d *doc, files []Input) {
	for _, in := range files {
		r := reader{d: d, file: in.Name}
		for _, n := range d.documents(in) {
			if get(n, "kind") != nil && r.str(get(n, "kind"), "kind") == "List" {
				for _, item := range r.items(get(n, "items"), "items") {
					r.near = item
					r.object(item)
				}
				continue
			}
			r.near = n
			r.object(n)
		}
	}
}

func (r reader) object(n *yaml.Node) {
	if !r.mapping(n, "document") {
		return
	}
	kind := r.str(get(n, "kind"), "kind")
	api := r.str(get(n, "apiVersion"), "apiVersion")
	meta := get(n, "metadata")
	name := r.str(get(meta, "name"), "metadata.name")
	if kind != "HTTPRoute" {
		if kind == "" {
			r.bad(n, "document", "not a Kubernetes object: kind is missing")
			return
		}
		r.d.report(lint.Info, ruleOtherKind, r.at(n, kind+" "+name), "%s is not an HTTPRoute; skipped", kind)
		return
	}
	if !strings.HasPrefix(api, "gateway.networking.k8s.io/") {
		r.bad(get(n, "apiVersion"), "HTTPRoute "+name, "apiVersion %q is not the Gateway API's (gateway.networking.k8s.io/v1)", api)
		return
	}
	if name == "" {
		r.bad(n, "HTTPRoute", "metadata.name is required")
		return
	}
	ns := r.str(get(meta, "namespace"), "metadata.namespace")
	if ns == "" {
		ns = "default"
	}
	what := fmt.Sprintf("HTTPRoute %s/%s", ns, name)
	spec := get(n, "spec")
	if !r.mapping(spec, what+" spec") {
		return
	}
	var hosts []string
	for _, h := range r.items(get(spec, "hostnames"), what+" hostnames") {
		host := strings.ToLower(r.str(h, what+" hostnames"))
		if strings.HasPrefix(host, "*.") {
			r.d.report(lint.Warning, ruleHostWildcard, r.at(h, what+" hostnames"), "hostname %q is a wildcard, which Crossgate routes do not match; it is left out, so the routes take every host unless other hostnames are listed: list the host names", host)
			continue
		}
		hosts = append(hosts, host)
	}
	rules := r.items(get(spec, "rules"), what+" rules")
	if len(rules) == 0 {
		// An HTTPRoute without rules sends everything to nothing (404).
		r.d.report(lint.Info, ruleNoRoutes, r.at(n, what), "the HTTPRoute has no rules; nothing to convert")
	}
	for i, rule := range rules {
		rw := fmt.Sprintf("%s rules[%d]", what, i)
		id := name
		if len(rules) > 1 {
			id = fmt.Sprintf("%s-%d", name, i)
		}
		r.rule(rule, rw, id, ns, hosts)
	}
}

func (r reader) rule(rule *yaml.Node, what, id, ns string, hosts []string) {
	if !r.mapping(rule, what) {
		return
	}
	for _, k := range keys(rule) {
		switch k {
		case "name", "matches", "filters", "backendRefs", "timeouts", "retry":
		default:
			r.d.report(lint.Warning, ruleNotConverted, r.at(keyNode(rule, k), what+" "+k), "%s is not converted: Crossgate has no equivalent", k)
		}
	}
	var corsFilter *yaml.Node
	strip := false
	for j, f := range r.items(get(rule, "filters"), what+" filters") {
		fw := fmt.Sprintf("%s filters[%d]", what, j)
		switch t := r.str(get(f, "type"), fw+" type"); t {
		case "CORS":
			if corsFilter != nil {
				r.bad(f, fw, "a rule has at most one CORS filter; this one is ignored")
				continue
			}
			corsFilter = get(f, "cors")
			if corsFilter == nil {
				r.bad(f, fw, "a CORS filter needs its cors settings")
			}
		case "URLRewrite":
			p := get(get(f, "urlRewrite"), "path")
			if r.str(get(p, "type"), fw) == "ReplacePrefixMatch" && r.str(get(p, "replacePrefixMatch"), fw) == "/" && get(get(f, "urlRewrite"), "hostname") == nil {
				strip = true
				r.d.report(lint.Info, ruleStripPrefix, r.at(f, fw), "URLRewrite replacing the prefix with / is written strip_prefix: true")
				continue
			}
			fallthrough
		default:
			r.d.report(lint.Warning, ruleNotConverted, r.at(f, fw), "filter %s is not converted: Crossgate has no equivalent; requests reach the backend without it", t)
		}
	}

	var pol *policy
	if corsFilter != nil {
		pol = r.gatewayCORS(corsFilter, what, id)
		if pol == nil {
			return // refused, and reported
		}
	}
	up := r.backends(rule, what, id, ns)
	if up == "" {
		return
	}

	matches := r.items(get(rule, "matches"), what+" matches")
	if len(matches) == 0 {
		matches = []*yaml.Node{nil}
	}
	for k, m := range matches {
		mw := fmt.Sprintf("%s matches[%d]", what, k)
		rt := &route{id: id, source: r.at(rule, what), hosts: hosts, upstream: up, cors: "off"}
		if m != nil {
			rt.source = r.at(m, mw)
		}
		if len(matches) > 1 {
			rt.id = fmt.Sprintf("%s-%d", id, k)
		}
		if pol != nil {
			rt.cors = pol.name
		}
		path := get(m, "path")
		typ, value := r.str(get(path, "type"), mw+" path.type"), r.str(get(path, "value"), mw+" path.value")
		if value == "" {
			value = "/"
		}
		switch typ {
		case "", "PathPrefix":
			rt.prefix = value
		case "Exact":
			rt.path = value
		default:
			r.d.report(lint.Error, ruleNotConverted, r.at(path, mw), "path match %s %q is not converted: Crossgate routes match exact paths and prefixes; write the prefix it needs", typ, value)
			continue
		}
		rt.strip = strip && rt.prefix != ""
		if mth := r.str(get(m, "method"), mw+" method"); mth != "" {
			rt.methods = []string{mth}
		}
		for _, key := range []string{"headers", "queryParams"} {
			if get(m, key) != nil {
				r.d.report(lint.Warning, ruleNotConverted, r.at(get(m, key), mw+" "+key), "%s matches are not converted: the route takes requests whatever their %s", key, key)
			}
		}
		if p := rt.prefix; p != "/" && p != "" && !strings.HasSuffix(p, "/") {
			// PathPrefix matches whole segments: /a and /a/..., not /ab.
			// Crossgate's prefix is a string prefix, so the match becomes
			// the exact path and the prefix that ends in "/", unless the
			// path is rewritten, which an exact route cannot do.
			if rt.strip {
				r.d.report(lint.Info, rulePathSemantics, rt.source, "PathPrefix %s matches whole path segments (%s and %s/...); with the prefix rewritten it stays path_prefix %s, which also matches %sx", p, p, p, p, p)
			} else {
				exact := *rt
				exact.id, exact.prefix, exact.path = rt.id+"-exact", "", p
				r.d.addRoute(&exact)
				rt.prefix = p + "/"
				r.d.report(lint.Info, rulePathSemantics, rt.source, "PathPrefix %s matches whole path segments; it is written as the route %q for the path %s and %q for the prefix %s/, since a path_prefix is a string prefix (%s would also match %sx)", p, exact.id, p, rt.id, p, p, p)
			}
		}
		r.d.addRoute(rt)
	}
}

// gatewayCORS converts a CORS filter, or returns nil when Crossgate
// refuses it ("*" with credentials).
func (r reader) gatewayCORS(n *yaml.Node, what, id string) *policy {
	if !r.mapping(n, what+" cors") {
		return nil
	}
	at := r.at(n, what+" cors")
	p := &policy{name: id, source: at}
	p.p.AllowCredentials = r.boolean(get(n, "allowCredentials"), what+" allowCredentials", false)
	origins := r.strs(get(n, "allowOrigins"), what+" allowOrigins")
	if slices.Contains(origins, "*") && p.p.AllowCredentials {
		r.d.wildcardCredentials(r.at(get(n, "allowOrigins"), what+" allowOrigins"), what, `the Gateway API then echoes the request's origin`)
		return nil
	}
	for _, o := range origins {
		r.d.convertOrigin(r.at(get(n, "allowOrigins"), what+" allowOrigins"), o, p)
	}
	r.d.convertMethods(r.at(get(n, "allowMethods"), what+" allowMethods"), r.strs(get(n, "allowMethods"), what+" allowMethods"), p)
	headers := r.strs(get(n, "allowHeaders"), what+" allowHeaders")
	if slices.Contains(headers, "*") {
		if p.p.AllowCredentials {
			// The Gateway API then echoes the request's header names.
			r.d.echoHeaders(r.at(get(n, "allowHeaders"), what+" allowHeaders"), p, `allowHeaders "*"`)
			headers = nil
		}
		// Without credentials "*" stays "*"; lint's wildcard-authorization
		// says that it does not cover Authorization.
	}
	p.p.AllowHeaders = headers
	expose := r.strs(get(n, "exposeHeaders"), what+" exposeHeaders")
	if slices.Contains(expose, "*") && p.p.AllowCredentials {
		r.d.report(lint.Error, ruleWildcardCreds, r.at(get(n, "exposeHeaders"), what+" exposeHeaders"), `exposeHeaders "*" cannot be used with allowCredentials (the Gateway API says so too); it is left out: list the response headers scripts read`)
		expose = slices.DeleteFunc(expose, func(h string) bool { return h == "*" })
	}
	p.p.ExposeHeaders = expose
	if v, ok := r.integer(get(n, "maxAge"), what+" maxAge"); ok {
		r.d.maxAge(r.at(get(n, "maxAge"), what+" maxAge"), v, p)
	} else {
		p.p.MaxAge = 5
		p.notes = append(p.notes, "max_age 5: the Gateway API's default when maxAge is left out")
	}
	p.p.PreflightStatus = config.DefaultPreflightStatus
	return r.d.addPolicy(p)
}

// backends returns the upstream of a rule's backendRefs, made once per
// set of backends.
func (r reader) backends(rule *yaml.Node, what, id, ns string) string {
	refs := r.items(get(rule, "backendRefs"), what+" backendRefs")
	if len(refs) == 0 {
		r.d.report(lint.Error, ruleMissingReference, r.at(rule, what), "the rule has no backendRefs, so the Gateway API answers its requests with 500; not converted: add a backendRef")
		return ""
	}
	var targets, names []string
	weights := map[string]bool{}
	for j, ref := range refs {
		bw := fmt.Sprintf("%s backendRefs[%d]", what, j)
		name := r.str(get(ref, "name"), bw+" name")
		if name == "" {
			r.bad(ref, bw, "a backendRef needs a name")
			continue
		}
		bns := r.str(get(ref, "namespace"), bw+" namespace")
		if bns == "" {
			bns = ns
		}
		port, _ := r.integer(get(ref, "port"), bw+" port")
		weights[r.str(get(ref, "weight"), bw+" weight")] = true
		if get(ref, "filters") != nil {
			r.d.report(lint.Warning, ruleNotConverted, r.at(get(ref, "filters"), bw+" filters"), "backendRef filters are not converted")
		}
		target, ok := r.d.opts.Backends[bns+"/"+name]
		if !ok {
			target, ok = r.d.opts.Backends[name]
		}
		if kind := r.str(get(ref, "kind"), bw+" kind"); !ok && kind != "" && kind != "Service" {
			r.d.report(lint.Error, ruleNotConverted, r.at(ref, bw), "backendRef %s of kind %s is not converted: give its URL with --backend %s=URL", name, kind, name)
			continue
		}
		if !ok {
			target = fmt.Sprintf("http://%s.%s.svc.cluster.local", name, bns)
			if port > 0 {
				target += fmt.Sprintf(":%d", port)
			}
			if r.d.once("guessed " + target) {
				r.d.report(lint.Warning, ruleBackendGuessed, r.at(ref, bw), "backend %s/%s is sent to %s, its in-cluster name; outside the cluster, give its URL with --backend %s=URL", bns, name, target, name)
			}
		}
		if !slices.Contains(targets, target) {
			targets = append(targets, target)
			names = append(names, name)
		}
	}
	if len(targets) == 0 {
		return ""
	}
	if len(weights) > 1 {
		r.d.report(lint.Warning, ruleWeightsIgnored, r.at(get(rule, "backendRefs"), what+" backendRefs"), "backend weights are not converted: Crossgate spreads requests evenly over an upstream's targets")
	}
	// The rule's timeout (the backend's, else the whole request's) bounds
	// the upstream exchange, as Crossgate's upstream timeout does.
	timeout := ""
	for _, key := range []string{"backendRequest", "request"} {
		v := get(get(rule, "timeouts"), key)
		if v == nil {
			continue
		}
		if d, err := time.ParseDuration(r.str(v, what+" timeouts."+key)); err == nil && d > 0 {
			timeout = d.String()
			break
		}
		r.bad(v, what+" timeouts."+key, "timeouts.%s %s is not a duration such as 10s; left out", key, describe(v))
	}
	retries := -1
	if retry := get(rule, "retry"); retry != nil {
		if v, ok := r.integer(get(retry, "attempts"), what+" retry.attempts"); ok && v >= 0 {
			retries = int(min(v, 10))
		}
		if get(retry, "codes") != nil {
			r.d.report(lint.Info, ruleNotConverted, r.at(get(retry, "codes"), what+" retry.codes"), "retry.codes is not converted: Crossgate retries a request that got no answer (a refused or reset connection, a timeout before the head), never one that got a status")
		}
	}
	for _, u := range r.d.upstreams {
		if slices.Equal(u.targets, targets) && u.timeout == timeout && u.retries == retries {
			return u.name
		}
	}
	return r.d.addUpstream(&upstream{name: strings.Join(names, "+"), source: r.at(get(rule, "backendRefs"), what+" backendRefs"), targets: targets, timeout: timeout, retries: retries}).name
}

package lint

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/fetch"
	"github.com/crossgate/crossgate/internal/origin"
)

// Rule is one check of the audit.
type Rule struct {
	// ID is the rule's stable name, a lower-case slug.
	ID string
	// Severity is the severity of its findings, unless the rule raises it
	// for a policy that allows credentials (the help says when).
	Severity Severity
	// Summary says in one line what the rule finds.
	Summary string
	// Help says why it matters and what to do.
	Help string
}

// Rules returns every rule, in the order of the registry.
func Rules() []Rule {
	return slices.Clone(rules)
}

// RuleByID returns the rule with the given id.
func RuleByID(id string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// Ids of the rules that findings are created with directly.
const (
	ruleInvalidConfig        = "invalid-config"
	ruleWildcardCredentials  = "wildcard-credentials"
	ruleNullCredentials      = "null-credentials"
	rulePublicSuffix         = "public-suffix-wildcard"
	ruleInsecureCredentials  = "insecure-origin-credentials"
	ruleRegexWithoutHTTPS    = "regex-without-https"
	ruleUnescapedDot         = "unescaped-dot"
	rulePermissiveRegex      = "permissive-regex"
	ruleHTTPOrigin           = "http-origin"
	ruleWildcardOrigin       = "wildcard-origin"
	ruleNullOrigin           = "null-origin"
	ruleSubdomainCredentials = "subdomain-credentials"
)

// rules is the registry. The first ones classify the errors of configs
// that validation refuses; the others are found by checks.
var rules = []Rule{
	{ID: ruleInvalidConfig, Severity: Error,
		Summary: "The config is refused by validation.",
		Help:    "crossgate serve would not start with this file. The message says what is wrong and where; fix it and lint again."},
	{ID: ruleWildcardCredentials, Severity: Error,
		Summary: `"*" is used together with allow_credentials.`,
		Help:    `Browsers refuse "*" in Access-Control-Allow-Origin on a credentialed response, and in allow_methods, allow_headers and expose_headers "*" then means a name that is literally "*". List the origins, methods and headers that need credentials.`},
	{ID: ruleNullCredentials, Severity: Error,
		Summary: `"null" is allowed together with allow_credentials.`,
		Help:    "Any site can send Origin: null from a sandboxed iframe or a data: URL, so allowing it with credentials lets every site read your users' data. Remove null."},
	{ID: rulePublicSuffix, Severity: Error,
		Summary: "A subdomain wildcard covers a public suffix.",
		Help:    `Anyone can register a subdomain of a public suffix such as com or github.io, so "https://*.github.io" allows strangers. List your own domains; set dangerously_allow_public_suffix_wildcards only if the suffix is yours.`},
	{ID: ruleInsecureCredentials, Severity: Error,
		Summary: "An http:// origin is allowed together with allow_credentials.",
		Help:    "Anyone on the network path of a plain-http page can inject script into it and read the credentialed responses it is allowed. Use https; loopback origins need no exception."},
	{ID: ruleRegexWithoutHTTPS, Severity: Error,
		Summary: `A regex of a credentialed policy does not start with a literal "https://".`,
		Help:    `A regex that starts with "https?://", ".*" or an alternation may admit http origins or any origin at all. Start it with https:// (e.g. "https://(app|admin)\.example\.com").`},

	{ID: ruleUnescapedDot, Severity: Warning,
		Summary: `A regex has an unescaped "." between two names, which matches any character.`,
		Help:    `"https://app.example.com" as a regex also matches https://appxexample.com, a domain anyone can register. Write "\." for a literal dot. An error when the policy allows credentials and the example is a domain that can be registered.`},
	{ID: rulePermissiveRegex, Severity: Warning,
		Summary: "A regex matches origins its author did not mean.",
		Help:    `The regex was tried on origins attackers use (https://evil.com, https://example.com.evil.com, https://evilexample.com, the http:// version, null) and matches one. Anchor the scheme ("https://"), escape dots, and bound the host ("[a-z0-9-]+\.example\.com"). An error when the policy allows credentials.`},
	{ID: ruleWildcardOrigin, Severity: Warning,
		Summary: `"*" allows every origin on a route that is not local.`,
		Help:    "Any site can read these responses. That is right for a public API whose responses hold nothing private to the user or the network, and wrong otherwise: an intranet API behind \"*\" is readable by every page its users visit. List the origins, or keep \"*\" if the API is public."},
	{ID: ruleNullOrigin, Severity: Warning,
		Summary: `"null" is an allowed origin.`,
		Help:    "Any site can send Origin: null from a sandboxed iframe, a data: URL or a redirect, so allowing null allows everyone. Give sandboxed documents a real origin and remove null."},
	{ID: ruleSubdomainCredentials, Severity: Warning,
		Summary: "A subdomain wildcard is allowed together with credentials.",
		Help:    "Whoever takes over any subdomain (a dangling DNS record, a forgotten test host, a user-content site) can read your users' data. List the subdomains that need credentials."},
	{ID: ruleHTTPOrigin, Severity: Info,
		Summary: "An http:// origin that is not loopback is allowed.",
		Help:    "Anyone on the network path of a plain-http page can inject script into it and read what the policy lets it read. Use https. A warning when credentials are allowed (with dangerously_allow_insecure_origins)."},
	{ID: "duplicate-origin", Severity: Warning,
		Summary: "An origin or regex is listed twice in one policy.",
		Help:    "The second entry changes nothing; it is often a typo for another origin. Remove it or correct it."},
	{ID: "max-age-capped", Severity: Warning,
		Summary: "max_age is above 7200 s, which Chrome caps.",
		Help:    "Chrome caches a preflight for 7200 s at most and Firefox for 86400 s, so a longer max_age mostly delays, in Firefox, the effect of a policy change. Use 7200."},
	{ID: "max-age-default", Severity: Info,
		Summary: "max_age is not set, so browsers cache preflights for 5 s.",
		Help:    "Without Access-Control-Max-Age browsers cache a preflight for 5 s, so most cross-origin calls that need a preflight cost two round trips. Set max_age: 7200 (or -1 to disable caching on purpose)."},
	{ID: "expose-set-cookie", Severity: Warning,
		Summary: "expose_headers lists Set-Cookie, which browsers never expose.",
		Help:    "Set-Cookie and Set-Cookie2 are forbidden response header names: scripts never see them, whatever Access-Control-Expose-Headers says. Remove them; read cookies with credentials instead."},
	{ID: "expose-safelisted", Severity: Info,
		Summary: "expose_headers lists a CORS-safelisted response header.",
		Help:    "Scripts can always read Cache-Control, Content-Language, Content-Length, Content-Type, Expires, Last-Modified and Pragma. Remove it."},
	{ID: "wildcard-authorization", Severity: Warning,
		Summary: `allow_headers is "*" without Authorization.`,
		Help:    `"*" allows every request header except Authorization, which the Fetch standard requires to be listed by name; a preflight asking for it is refused. Add Authorization if clients send it.`},
	{ID: "safelisted-method", Severity: Info,
		Summary: "allow_methods lists GET, HEAD or POST, which are always allowed.",
		Help:    "Browsers never ask a preflight's permission for GET, HEAD or POST, so listing them changes nothing. Remove them, or keep them as documentation."},
	{ID: "private-network", Severity: Info,
		Summary: "allow_private_network lets public pages call a private-network service.",
		Help:    "Private Network Access preflights are answered with Access-Control-Allow-Private-Network: true, so pages on the allowed origins may reach this service on a private network from a user's browser. Make sure the origins are meant to."},
	{ID: "upstream-owned", Severity: Info,
		Summary: "The policy's mode leaves CORS to the upstream.",
		Help:    "In modes upstream and shadow the upstream's own CORS headers reach browsers and lint cannot see them; check them live with crossgate scan. In shadow mode, switch to gateway once the metrics report no disagreement."},
	{ID: "unused-policy", Severity: Info,
		Summary: "A named policy is used by no route.",
		Help:    "Nothing applies it. Remove it, or refer to it from a route's cors or from defaults.cors."},
	{ID: "route-without-cors", Severity: Warning,
		Summary: "A route has no CORS policy and there is no default.",
		Help:    `Browsers on other origins get no CORS headers from it and are refused. If only same-origin pages use it, write cors: "off" to say so; otherwise give it a policy or set defaults.cors.`},
	{ID: "unreachable-route", Severity: Warning,
		Summary: "A route never receives a request: an earlier one matches all it would.",
		Help:    "Routes with the same hosts and path go by their order in the file, and the first whose methods allow the request wins. Remove the later route, or give it a host, path or methods of its own."},
	{ID: "cors-off", Severity: Info,
		Summary: "CORS is turned off on a route.",
		Help:    "The gateway adds no CORS headers and answers no preflights there: pages on other origins cannot read it, and whatever CORS headers the upstream sends pass through. Right for same-origin and server-to-server APIs."},
	{ID: "route-options-method", Severity: Info,
		Summary: "A route's methods list OPTIONS.",
		Help:    "Preflights are handled whatever methods lists; OPTIONS there only lets requests that are not preflights through to the upstream. Remove it unless the upstream serves OPTIONS itself."},
	{ID: "csrf-missing", Severity: Info,
		Summary: "A route takes credentials from other origins and unsafe methods without CSRF protection.",
		Help:    "CORS hides responses, it does not stop requests: a form on any site can still POST to the route with the user's cookies. Add csrf: {mode: fetch-metadata}."},
}

// checks are the audits of a valid config. One check may report for
// several rules: regexes is analysed once for unescaped-dot and
// permissive-regex.
var checks = []func(*linter){
	(*linter).regexes,
	(*linter).wildcardOrigin,
	(*linter).nullOrigin,
	(*linter).subdomainCredentials,
	(*linter).httpOrigin,
	(*linter).duplicateOrigin,
	(*linter).maxAgeCapped,
	(*linter).maxAgeDefault,
	(*linter).exposeSetCookie,
	(*linter).exposeSafelisted,
	(*linter).wildcardAuthorization,
	(*linter).safelistedMethod,
	(*linter).privateNetwork,
	(*linter).upstreamOwned,
	(*linter).unusedPolicy,
	(*linter).routeWithoutCORS,
	(*linter).unreachableRoute,
	(*linter).corsOff,
	(*linter).routeOptionsMethod,
	(*linter).csrfMissing,
}

// classify names the rule of an error of a refused config. The security
// mistakes that validation refuses get rules of their own, recognised by
// the code the cors library gives them.
func classify(e *config.Error) string {
	switch e.Code {
	case cors.ProblemNullCredentials:
		return ruleNullCredentials
	case cors.ProblemWildcardCredentials:
		return ruleWildcardCredentials
	case cors.ProblemPublicSuffixWildcard:
		return rulePublicSuffix
	case cors.ProblemInsecureOriginCredentials:
		return ruleInsecureCredentials
	case cors.ProblemRegexWithoutHTTPS:
		return ruleRegexWithoutHTTPS
	}
	return ruleInvalidConfig
}

type linter struct {
	c        *config.Config
	uses     []use
	findings []Finding
}

// use is a policy as the routes see it: where it is written and which
// routes it applies to.
type use struct {
	path   string // "policies.web", "routes[2].cors", "defaults.cors"
	what   string // `policy "web"`, `route "users"`, "defaults"
	p      *config.Policy
	routes []*config.Route
}

func newLinter(c *config.Config) *linter {
	l := &linter{c: c}
	byName := make(map[string][]*config.Route)
	for _, r := range c.Routes {
		if n, rp := c.RoutePolicy(r); rp != nil && n != "" {
			byName[n] = append(byName[n], r)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Policies)) {
		if p := c.Policies[name]; p != nil {
			l.uses = append(l.uses, use{path: "policies." + name, what: fmt.Sprintf("policy %q", name), p: p, routes: byName[name]})
		}
	}
	if d := c.Defaults.CORS; d != nil && d.Inline != nil {
		u := use{path: "defaults.cors", what: "defaults", p: d.Inline}
		for _, r := range c.Routes {
			if r.CORS == nil {
				u.routes = append(u.routes, r)
			}
		}
		l.uses = append(l.uses, u)
	}
	for i, r := range c.Routes {
		if r.CORS != nil && r.CORS.Inline != nil {
			l.uses = append(l.uses, use{path: fmt.Sprintf("routes[%d].cors", i), what: fmt.Sprintf("route %q", r.ID), p: r.CORS.Inline, routes: []*config.Route{r}})
		}
	}
	return l
}

// report records a finding of rule at the value at path, with the rule's
// severity.
func (l *linter) report(rule, path, format string, args ...any) {
	r, _ := RuleByID(rule)
	l.reportAs(r.Severity, rule, path, format, args...)
}

func (l *linter) reportAs(sev Severity, rule, path, format string, args ...any) {
	f := Finding{Rule: rule, Severity: sev, File: l.c.File(), Path: path, Message: fmt.Sprintf(format, args...)}
	f.Line, f.Col, _ = l.c.Position(path)
	l.findings = append(l.findings, f)
}

// gatewayOwned returns the policies that are, or are meant to become, the
// gateway's: all but those of mode upstream. A shadow policy writes no
// headers yet, but it is there to take over from the upstream's, so it is
// audited as if it did.
func (l *linter) gatewayOwned() []use {
	var out []use
	for _, u := range l.uses {
		if u.p.Mode != config.ModeUpstream {
			out = append(out, u)
		}
	}
	return out
}

func at(path, key string, i int) string {
	return fmt.Sprintf("%s.%s[%d]", path, key, i)
}

func (l *linter) wildcardOrigin() {
	for _, u := range l.gatewayOwned() {
		i := slices.Index(u.p.AllowOrigins, "*")
		if i < 0 {
			continue
		}
		for _, r := range u.routes {
			if where := publicHosts(r); where != "" {
				l.report(ruleWildcardOrigin, at(u.path, "allow_origins", i),
					`%s allows every origin, and route %q serves %s: any site can read its responses; list the origins unless the API is public`, u.what, r.ID, where)
				break
			}
		}
	}
}

// publicHosts describes the hosts of r that are not local, or returns ""
// when r serves only local names.
func publicHosts(r *config.Route) string {
	if len(r.Hosts) == 0 {
		return "every host"
	}
	var public []string
	for _, h := range r.Hosts {
		if !localHost(h) {
			public = append(public, h)
		}
	}
	return strings.Join(public, ", ")
}

// localHost reports whether h names this machine or a name reserved for
// tests (RFC 2606, RFC 6761), which no public site serves. Private-network
// names and addresses are not local: "*" on an intranet API lets every
// page its users visit read it.
func localHost(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if loopbackHost(h) {
		return true
	}
	for _, suffix := range []string{"test", "example", "invalid"} {
		if h == suffix || strings.HasSuffix(h, "."+suffix) {
			return true
		}
	}
	return false
}

func (l *linter) nullOrigin() {
	for _, u := range l.gatewayOwned() {
		for i, o := range u.p.AllowOrigins {
			if o == "null" {
				l.report(ruleNullOrigin, at(u.path, "allow_origins", i),
					`%s allows the origin "null", which any site can send from a sandboxed iframe or a data: URL; remove it`, u.what)
			}
		}
	}
}

func (l *linter) subdomainCredentials() {
	for _, u := range l.gatewayOwned() {
		if !u.p.AllowCredentials {
			continue
		}
		for i, o := range u.p.AllowOrigins {
			if p, err := origin.ParsePattern(o); err == nil && p.Kind == origin.Subdomains {
				l.report(ruleSubdomainCredentials, at(u.path, "allow_origins", i),
					"%s allows credentials from every subdomain of %s: whoever takes over one of them (a dangling DNS record, a user-content host) reads your users' data; list the subdomains that need credentials", u.what, p.Host)
			}
		}
	}
}

func (l *linter) httpOrigin() {
	for _, u := range l.gatewayOwned() {
		for i, o := range u.p.AllowOrigins {
			if p, err := origin.ParsePattern(o); err != nil || p.Scheme != "http" || loopbackHost(p.Host) {
				continue
			}
			sev, with := Info, ""
			if u.p.AllowCredentials {
				sev, with = Warning, " credentialed"
			}
			l.reportAs(sev, ruleHTTPOrigin, at(u.path, "allow_origins", i),
				"%s allows %s: anyone on its network path can inject script into it and read%s responses; use https", u.what, o, with)
		}
	}
}

// loopbackHost reports whether browsers treat an http origin on host as
// secure: it names this machine.
func loopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (l *linter) duplicateOrigin() {
	for _, u := range l.gatewayOwned() {
		for _, key := range []string{"allow_origins", "allow_origin_regex"} {
			list, fold := u.p.AllowOrigins, strings.ToLower
			if key == "allow_origin_regex" {
				list, fold = u.p.AllowOriginRegex, func(s string) string { return s }
			}
			first := make(map[string]int)
			for i, o := range list {
				if j, dup := first[fold(o)]; dup {
					l.report("duplicate-origin", at(u.path, key, i),
						"%s lists %q twice in %s (first as item %d); remove one, or correct the typo", u.what, o, key, j+1)
					continue
				}
				first[fold(o)] = i
			}
		}
	}
}

// chromeMaxAge is the longest preflight cache Chrome honours, in seconds.
const chromeMaxAge = 7200

func (l *linter) maxAgeCapped() {
	for _, u := range l.gatewayOwned() {
		if u.p.MaxAge > chromeMaxAge {
			l.report("max-age-capped", u.path+".max_age",
				"%s: max_age %d is above the %d s Chrome honours; Firefox would keep a stale policy for up to %d s; use %d", u.what, u.p.MaxAge, chromeMaxAge, u.p.MaxAge, chromeMaxAge)
		}
	}
}

func (l *linter) maxAgeDefault() {
	for _, u := range l.gatewayOwned() {
		if u.p.MaxAge == 0 {
			l.report("max-age-default", u.path+".max_age",
				"%s sets no max_age, so browsers cache each preflight for 5 s and most preflighted calls cost two round trips; set max_age: %d", u.what, chromeMaxAge)
		}
	}
}

func (l *linter) exposeSetCookie() {
	for _, u := range l.gatewayOwned() {
		for i, h := range u.p.ExposeHeaders {
			if strings.EqualFold(h, "Set-Cookie") || strings.EqualFold(h, "Set-Cookie2") {
				l.report("expose-set-cookie", at(u.path, "expose_headers", i),
					"%s exposes %s, which browsers never show to scripts whatever the policy says; remove it", u.what, h)
			}
		}
	}
}

func (l *linter) exposeSafelisted() {
	for _, u := range l.gatewayOwned() {
		for i, h := range u.p.ExposeHeaders {
			if fetch.SafelistedResponseHeader(h) {
				l.report("expose-safelisted", at(u.path, "expose_headers", i),
					"%s exposes %s, which scripts can always read; remove it", u.what, h)
			}
		}
	}
}

func (l *linter) wildcardAuthorization() {
	for _, u := range l.gatewayOwned() {
		i := slices.Index(u.p.AllowHeaders, "*")
		if i >= 0 && !slices.ContainsFunc(u.p.AllowHeaders, func(h string) bool { return strings.EqualFold(h, "Authorization") }) {
			l.report("wildcard-authorization", at(u.path, "allow_headers", i),
				`%s: "*" in allow_headers never covers Authorization, so a preflight asking for it is refused; add Authorization if clients send it`, u.what)
		}
	}
}

func (l *linter) safelistedMethod() {
	for _, u := range l.gatewayOwned() {
		for i, m := range u.p.AllowMethods {
			if m == "GET" || m == "HEAD" || m == "POST" {
				l.report("safelisted-method", at(u.path, "allow_methods", i),
					"%s lists %s, which browsers send without a preflight: it is always allowed", u.what, m)
			}
		}
	}
}

func (l *linter) privateNetwork() {
	for _, u := range l.gatewayOwned() {
		if u.p.AllowPrivateNetwork {
			l.report("private-network", u.path+".allow_private_network",
				"%s lets pages on its allowed origins call this service on a private network from a user's browser; make sure they are meant to", u.what)
		}
	}
}

func (l *linter) upstreamOwned() {
	for _, u := range l.uses {
		switch u.p.Mode {
		case config.ModeUpstream:
			l.report("upstream-owned", u.path+".mode",
				"%s is in mode upstream: the upstream's own CORS headers reach browsers unchecked; check them with crossgate scan", u.what)
		case config.ModeShadow:
			l.report("upstream-owned", u.path+".mode",
				"%s is in mode shadow: the upstream's CORS headers still reach browsers; switch to mode gateway once the metrics show no disagreement", u.what)
		}
	}
}

func (l *linter) unusedPolicy() {
	used := make(map[string]bool)
	if d := l.c.Defaults.CORS; d != nil && d.Name != "" {
		used[d.Name] = true
	}
	for _, r := range l.c.Routes {
		if r.CORS != nil && r.CORS.Name != "" {
			used[r.CORS.Name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(l.c.Policies)) {
		if !used[name] {
			l.report("unused-policy", "policies."+name, "policy %q is used by no route; remove it or refer to it", name)
		}
	}
}

func (l *linter) routeWithoutCORS() {
	if l.c.Defaults.CORS != nil {
		return
	}
	for i, r := range l.c.Routes {
		if r.CORS == nil {
			l.report("route-without-cors", fmt.Sprintf("routes[%d]", i),
				`route %q has no CORS policy and there is no default: pages on other origins are refused; write cors: "off" if that is meant, or give it a policy`, r.ID)
		}
	}
}

// unreachableRoute finds routes that an earlier route shadows. The gateway
// tries routes with hosts before routes without, exact paths before
// prefixes and longer prefixes first; among routes equal in that, the first
// in the file whose methods allow the request wins. So a route is shadowed
// by an earlier one with the same path, the same kind of hosts, and hosts
// and methods that cover its own.
func (l *linter) unreachableRoute() {
	// Only a route with the same path, the same kind of hosts and (when it
	// has hosts) its first host can shadow another: each route is compared
	// with the earlier ones that share those, not with every earlier route.
	type key struct{ path, prefix, host string }
	keyOf := func(r *config.Route, host string) key { return key{r.Path, r.PathPrefix, strings.ToLower(host)} }
	earlier := make(map[key][]int, len(l.c.Routes))
	routes := l.c.Routes
	for j, b := range routes {
		first := ""
		if len(b.Hosts) > 0 {
			first = b.Hosts[0]
		}
		for _, i := range earlier[keyOf(b, first)] {
			a := routes[i]
			if (len(a.Hosts) == 0) != (len(b.Hosts) == 0) ||
				!covers(a.Hosts, b.Hosts, strings.EqualFold) || !covers(a.ServedMethods(), b.Methods, func(x, y string) bool { return x == y }) {
				continue
			}
			line, _, _ := l.c.Position(fmt.Sprintf("routes[%d]", i))
			l.report("unreachable-route", fmt.Sprintf("routes[%d]", j),
				"route %q never receives a request: route %q (line %d) comes first and matches every request it would; remove it, or give it a host, path or methods of its own", b.ID, a.ID, line)
			break
		}
		if len(b.Hosts) == 0 {
			earlier[keyOf(b, "")] = append(earlier[keyOf(b, "")], j)
		}
		for h, host := range b.Hosts {
			if !slices.ContainsFunc(b.Hosts[:h], func(x string) bool { return strings.EqualFold(x, host) }) {
				earlier[keyOf(b, host)] = append(earlier[keyOf(b, host)], j)
			}
		}
	}
}

// covers reports whether the list all, where empty means anything, holds
// every item of some, where empty means anything too.
func covers(all, some []string, equal func(x, y string) bool) bool {
	if len(all) == 0 {
		return true
	}
	if len(some) == 0 {
		return false
	}
	for _, s := range some {
		if !slices.ContainsFunc(all, func(a string) bool { return equal(a, s) }) {
			return false
		}
	}
	return true
}

func (l *linter) corsOff() {
	if d := l.c.Defaults.CORS; d != nil && d.Off {
		l.report("cors-off", "defaults.cors", `defaults turn CORS off for every route without a cors setting: pages on other origins cannot read them`)
	}
	for i, r := range l.c.Routes {
		if r.CORS != nil && r.CORS.Off {
			l.report("cors-off", fmt.Sprintf("routes[%d].cors", i),
				"route %q has CORS off: pages on other origins cannot read it, and the upstream's own CORS headers pass through", r.ID)
		}
	}
}

func (l *linter) routeOptionsMethod() {
	for i, r := range l.c.Routes {
		if j := slices.Index(r.Methods, "OPTIONS"); j >= 0 {
			l.report("route-options-method", fmt.Sprintf("routes[%d].methods[%d]", i, j),
				"route %q lists OPTIONS: preflights are handled whatever methods says, so this only lets other OPTIONS requests through to the upstream", r.ID)
		}
	}
}

func (l *linter) csrfMissing() {
	for i, r := range l.c.Routes {
		_, p := l.c.RoutePolicy(r)
		if p == nil || !p.AllowCredentials || p.Mode == config.ModeUpstream || r.CSRF != nil {
			continue
		}
		unsafe := len(r.Methods) == 0 || slices.ContainsFunc(r.Methods, func(m string) bool {
			return m != "GET" && m != "HEAD" && m != "OPTIONS"
		})
		if unsafe {
			l.report("csrf-missing", fmt.Sprintf("routes[%d]", i),
				"route %q allows credentials from other origins and unsafe methods without CSRF protection: a form on any site can still send it a POST with the user's cookies; add csrf: {mode: fetch-metadata}", r.ID)
		}
	}
}

package importer

import (
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/lint"
)

// The conversions every format shares: origins, methods, max ages.

// convertOrigin returns the Crossgate form of an origin or origin pattern
// that a source lists: lower case, no default port, no trailing slash.
// A host of "*" alone (any host of a scheme) becomes a regex. Values that
// are neither stay as they are, for the library to refuse with its
// reason.
func (d *doc) convertOrigin(at src, o string, p *policy) {
	s := strings.TrimSpace(o)
	if s == "*" || s == "null" {
		p.p.AllowOrigins = append(p.p.AllowOrigins, s)
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		p.p.AllowOrigins = append(p.p.AllowOrigins, s)
		return
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if strings.HasPrefix(u.Host, "[") {
		host = "[" + host + "]"
	}
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	if host == "*" {
		re := regexpQuote(scheme) + `://[^/:]+`
		if port != "" {
			re += ":" + port
		}
		d.report(lint.Warning, ruleAnyHostOrigin, at, "origin %q allows every host of %s; it is written as the regex %q. List the hosts you mean", o, scheme, re)
		p.p.AllowOriginRegex = append(p.p.AllowOriginRegex, re)
		return
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	if out != o {
		d.report(lint.Info, ruleOriginNormalized, at, "origin %q is written %q, the form browsers send (lower case, no default port, no slash)", o, out)
	}
	p.p.AllowOrigins = append(p.p.AllowOrigins, out)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// everyMethod is what a policy lists for a source that allows every method
// with credentials, where Crossgate's "*" means a method named "*".
var everyMethod = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// convertMethods adds the methods a source allows, without those browsers
// never send.
func (d *doc) convertMethods(at src, methods []string, p *policy) {
	for _, m := range methods {
		m = strings.TrimSpace(m)
		switch strings.ToUpper(m) {
		case "":
			continue
		case "CONNECT", "TRACE", "TRACK":
			d.report(lint.Info, ruleMethodDropped, at, "method %s is left out of allow_methods: browsers never send it, so no preflight asks for it", m)
			continue
		}
		if m == "*" && p.p.AllowCredentials {
			d.report(lint.Info, ruleWildcardCreds, at, `every method allowed with credentials is written as the list %s: with credentials, "*" means a method named "*"`, strings.Join(everyMethod, ", "))
			for _, e := range everyMethod {
				if !slices.Contains(p.p.AllowMethods, e) {
					p.p.AllowMethods = append(p.p.AllowMethods, e)
				}
			}
			continue
		}
		if !slices.Contains(p.p.AllowMethods, m) {
			p.p.AllowMethods = append(p.p.AllowMethods, m)
		}
	}
}

// echoHeaders converts a source that allows every request header by
// echoing what a preflight asks for, Authorization included.
func (d *doc) echoHeaders(at src, p *policy, how string) {
	if p.p.AllowCredentials {
		d.report(lint.Error, ruleEchoHeaders, at, `%s allows every request header with credentials by echoing them; Crossgate cannot: with credentials, "*" means a header named "*". allow_headers is left empty, so preflights that ask for a header fail: list the headers your pages send`, how)
		return
	}
	d.report(lint.Info, ruleEchoHeaders, at, `%s allows every request header by echoing them; it is written "*" plus Authorization, which "*" does not cover`, how)
	p.p.AllowHeaders = append(p.p.AllowHeaders, "*", "Authorization")
}

// maxAge converts a max age in seconds; ok is false when it stays out.
func (d *doc) maxAge(at src, v int64, p *policy) {
	switch {
	case v > int64(cors.MaxMaxAge.Seconds()):
		d.report(lint.Warning, ruleMaxAge, at, "max age %d s is above what any browser honours (Chrome caps at 7200 s, Firefox at 86400 s); it is written 7200", v)
		v = 7200
	case v < -1:
		d.report(lint.Warning, ruleMaxAge, at, "max age %d s is negative; it is written -1, which disables caching", v)
		v = -1
	}
	p.p.MaxAge = int(v)
}

// wildcardCredentials reports a policy that allows "*" with credentials,
// which Crossgate refuses, and says what to list instead.
func (d *doc) wildcardCredentials(at src, what, source string) {
	d.report(lint.Error, ruleWildcardCreds, at,
		`%s allows every origin with credentials: %s, so any site can read responses with the user's cookies. Crossgate refuses it, so it is not converted: list the origins that need credentials`,
		what, source)
	d.refusedWildcards = append(d.refusedWildcards, len(d.findings)-1)
}

// splitList splits a comma-separated list, trimming spaces, dropping
// empty elements.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// authPlugins and limitPlugins are the plugins of APISIX and Kong whose
// absence changes who may call a route, and how often; the findings say so.
var (
	authPlugins = []string{"key-auth", "jwt-auth", "basic-auth", "hmac-auth", "ldap-auth", "openid-connect", "authz-keycloak",
		"authz-casdoor", "authz-casbin", "wolf-rbac", "forward-auth", "opa", "cas-auth", "multi-auth", "ip-restriction",
		"ua-restriction", "referer-restriction", "consumer-restriction", "acl", "jwt", "oauth2", "bot-detection"}
	limitPlugins = []string{"limit-req", "limit-count", "limit-conn", "rate-limiting", "rate-limiting-advanced",
		"request-size-limiting", "response-ratelimiting"}
)

// pluginNotConverted reports a plugin of owner, applying to scope, that
// Crossgate has no equivalent for.
func (d *doc) pluginNotConverted(at src, name, owner, scope string) {
	switch {
	case slices.Contains(authPlugins, name):
		d.report(lint.Warning, ruleNotConverted, at, "plugin %s of %s is not converted: Crossgate does not authenticate or restrict callers, so requests to %s reach the upstream without it; keep it in front of or behind Crossgate", name, owner, scope)
	case slices.Contains(limitPlugins, name):
		d.report(lint.Warning, ruleNotConverted, at, "plugin %s of %s is not converted: Crossgate has no rate limits (max_body_bytes bounds bodies); requests to %s are not limited", name, owner, scope)
	case name == "csrf":
		d.report(lint.Warning, ruleNotConverted, at, "plugin csrf of %s is not converted: give the routes csrf: {mode: fetch-metadata} (or token)", owner)
	default:
		d.report(lint.Warning, ruleNotConverted, at, "plugin %s of %s is not converted: Crossgate has no equivalent", name, owner)
	}
}

// Package importer converts the CORS and routing of other gateways into a
// Crossgate config: Kubernetes Gateway API HTTPRoutes (CORS filters),
// Apache APISIX configs (the cors plugin) and Kong declarative files (the
// cors plugin). It is the logic behind "crossgate import".
//
// A conversion never guesses silently. Every difference in behaviour
// between the source and the Crossgate config, every feature that is not
// converted (authentication, rate limits, rewrites) and every problem with
// the input is a finding, in the shape of crossgate lint's: a stable rule
// id, a severity, the source file and line, the source object, and a
// message that says what to do. The config written names the source
// object of each policy, upstream and route in a comment, and is linted as
// crossgate lint would; its errors and warnings are findings too.
//
// Severities mean what they mean in lint: an error is something the
// output does not do that the source did, or a source that cannot be read
// (the command exits 1); a warning is a difference a user must check; info
// is worth knowing.
package importer

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/lint"
)

// Format is an input format.
type Format string

// The formats Convert reads.
const (
	// GatewayAPI is Kubernetes Gateway API YAML: HTTPRoute objects, one or
	// more per file, as kubectl applies them.
	GatewayAPI Format = "gateway-api"
	// APISIX is an APISIX standalone apisix.yaml (or apisix.json), or the
	// JSON that the Admin API returns for routes, services, upstreams and
	// plugin_configs.
	APISIX Format = "apisix"
	// Kong is a Kong declarative file (kong.yml, _format_version 1.1 to 3.0).
	Kong Format = "kong"
)

// Formats lists the formats Convert reads.
func Formats() []Format { return []Format{GatewayAPI, APISIX, Kong} }

// Input is one source file.
type Input struct {
	// Name is the file's name, used in findings and comments.
	Name string
	Data []byte
}

// Options tune a conversion.
type Options struct {
	// Backends maps a Gateway API backendRef, as "name" or
	// "namespace/name", to the URL of its upstream, such as
	// "http://127.0.0.1:9001". A backendRef not in it is sent to its
	// in-cluster service name, with a warning.
	Backends map[string]string
	// Output is the name of the config written, used in the findings that
	// lint makes of it; "crossgate.yaml" when empty.
	Output string
	// Listen is the gateway's address written in the config;
	// config.DefaultListen when empty.
	Listen string
}

// Result is a conversion's outcome.
type Result struct {
	// Config is the Crossgate config, YAML with comments. It is written
	// even when there are errors: what could be converted, for a person to
	// finish.
	Config []byte
	// Findings are the differences, the features not converted, the
	// problems with the input and lint's errors and warnings on Config:
	// errors first, then warnings, then infos, each by position.
	Findings []lint.Finding
}

// Errors reports whether the conversion has an error finding: the output
// does not do everything the source did, or does not pass crossgate lint.
func (r *Result) Errors() bool {
	return slices.ContainsFunc(r.Findings, func(f lint.Finding) bool { return f.Severity == lint.Error })
}

// maxInput bounds the size of one input file.
const maxInput = 8 << 20

// Convert converts files of format f. The error is only for an unknown
// format; everything wrong with the files is a finding.
func Convert(f Format, files []Input, opts Options) (*Result, error) {
	var parse func(*doc, []Input)
	switch f {
	case GatewayAPI:
		parse = parseGatewayAPI
	case APISIX:
		parse = parseAPISIX
	case Kong:
		parse = parseKong
	default:
		return nil, fmt.Errorf("unknown format %q: use gateway-api, apisix or kong", f)
	}
	d := &doc{format: f, opts: opts}
	var ok []Input
	for _, in := range files {
		if len(in.Data) > maxInput {
			d.report(lint.Error, ruleInvalidInput, src{file: in.Name, line: 1, col: 1}, "the file is larger than %d MiB; split it", maxInput>>20)
			continue
		}
		ok = append(ok, in)
		d.files = append(d.files, in.Name)
	}
	parse(d, ok)
	d.check()
	out := d.render()
	name := cmp.Or(opts.Output, "crossgate.yaml")
	for _, lf := range lint.Parse(name, out) {
		if lf.Severity != lint.Info {
			lf.Message = "the output " + lf.Message + " (crossgate lint)"
			d.findings = append(d.findings, lf)
		}
	}
	return &Result{Config: out, Findings: lint.Sort(d.findings)}, nil
}

// Rule ids of the findings. Like lint's, they are stable.
const (
	ruleInvalidInput     = "invalid-input"        // the input cannot be read or is not of the format
	ruleMissingReference = "missing-reference"    // an object names another that is not there
	ruleNotConverted     = "not-converted"        // a feature Crossgate has no equivalent for
	ruleWildcardCreds    = "wildcard-credentials" // "*" (or echo) with credentials, which Crossgate refuses
	ruleInvalidValue     = "invalid-value"        // a CORS value the Crossgate library refuses, left out
	ruleRegexAnchored    = "regex-anchored"       // an unanchored regex written anchored
	ruleRegexHost        = "regex-host-only"      // a Kong regex that matched the host only
	ruleSingleOrigin     = "single-origin"        // Kong sent its one literal origin to every request
	ruleOptionsAtEdge    = "options-at-edge"      // APISIX answered every OPTIONS request itself
	ruleMaxAge           = "max-age"              // a max age changed or capped
	ruleDefaultChanged   = "default-changed"      // a source default Crossgate does not share, written out
	ruleMethodDropped    = "method-dropped"       // CONNECT, TRACE: browsers never send them
	ruleBackendGuessed   = "backend-guessed"      // a Gateway API backendRef without --backend
	rulePathSemantics    = "path-prefix-segments" // Gateway API PathPrefix matches whole segments
	ruleHostWildcard     = "host-wildcard"        // a wildcard host name, which Crossgate routes do not match
	ruleTimingOrigins    = "timing-allow-origin"  // APISIX's timing_allow_origins became a boolean
	ruleEchoHeaders      = "echo-request-headers" // the source allowed every request header by echoing them
	ruleWeightsIgnored   = "weights-ignored"      // upstream weights and balancing, not converted
	ruleDisabled         = "disabled"             // a disabled source object, left out
	rulePreflightForward = "preflight-forwarded"  // Kong's preflight_continue, converted to mode upstream
	ruleOtherKind        = "other-kind"           // a Kubernetes object other than HTTPRoute, skipped
	ruleFormatVersion    = "format-version"       // Kong's _format_version, missing or unknown
	ruleRegexSyntax      = "regex-syntax"         // a PCRE regex that RE2 cannot compile
	ruleOriginNormalized = "origin-normalized"    // an origin rewritten in the form browsers send
	ruleAnyHostOrigin    = "any-host-origin"      // "https://*": any host of a scheme, as a regex
	ruleNoRoutes         = "no-routes"            // nothing to convert
	ruleRouteConflict    = "route-conflict"       // two routes that would take the same requests
	ruleStripPrefix      = "strip-prefix"         // a rewrite that became strip_prefix
)

// src is where something is in the input: a file, a position and the
// object it belongs to, as people name it ("HTTPRoute shop/web
// rules[0]", "route 12").
type src struct {
	file      string
	line, col int
	what      string
}

func (s src) String() string {
	if s.line > 0 {
		return fmt.Sprintf("%s:%d %s", s.file, s.line, s.what)
	}
	return s.file + " " + s.what
}

// doc is a conversion in progress: the objects of the Crossgate config, in
// the order they are written, and the findings.
type doc struct {
	format    Format
	opts      Options
	files     []string // the inputs' names
	policies  []*policy
	upstreams []*upstream
	routes    []*route
	defaults  string // the policy of routes without one, or ""
	findings  []lint.Finding
	names     map[string]bool // by kind and name: "policy web"
	// refusedWildcards are the indexes in findings of the policies refused
	// for "*" with credentials, whose fix names the origins to list.
	refusedWildcards []int
}

type policy struct {
	name   string
	source src
	p      config.Policy
	// notes are comments written above values: why a value is what it is.
	notes []string
}

type upstream struct {
	name    string
	source  src
	targets []string
	timeout string // a config duration, or "" for the default
	retries int    // -1 for the default
	// health is the active health check, or nil.
	health *config.HealthCheck
}

type route struct {
	id       string
	source   src
	hosts    []string
	path     string
	prefix   string
	methods  []string
	strip    bool
	upstream string
	cors     string // a policy name, "off", or "" for the defaults
}

func (d *doc) report(sev lint.Severity, rule string, at src, format string, args ...any) {
	d.findings = append(d.findings, lint.Finding{
		Rule: rule, Severity: sev, File: at.file, Line: at.line, Col: at.col, Path: at.what,
		Message: fmt.Sprintf(format, args...),
	})
}

// name returns a name for an object of the output of the kind ("policy",
// "route", "upstream") from the source's name, unique among the names of
// that kind: lower case letters, digits, "-", "_" and ".".
func (d *doc) name(kind, base string) string {
	if d.names == nil {
		d.names = make(map[string]bool)
	}
	var b strings.Builder
	for _, c := range strings.ToLower(base) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if n == "" || n == "off" {
		n = "x" + n
	}
	out := n
	for i := 2; d.names[kind+" "+out]; i++ {
		out = fmt.Sprintf("%s-%d", n, i)
	}
	d.names[kind+" "+out] = true
	return out
}

// once reports whether key is seen for the first time, for findings that
// several objects would repeat.
func (d *doc) once(key string) bool {
	if d.names == nil {
		d.names = make(map[string]bool)
	}
	if d.names["once "+key] {
		return false
	}
	d.names["once "+key] = true
	return true
}

func (d *doc) addPolicy(p *policy) *policy {
	p.name = d.name("policy", p.name)
	d.policies = append(d.policies, p)
	return p
}

func (d *doc) addUpstream(u *upstream) *upstream {
	u.targets = slices.DeleteFunc(u.targets, func(t string) bool {
		p, err := url.Parse(t)
		if err != nil || p.Hostname() == "" || p.Scheme != "http" && p.Scheme != "https" {
			d.report(lint.Error, ruleInvalidInput, u.source, "the backend address %q is not host:port; left out", t)
			return true
		}
		return false
	})
	u.name = d.name("upstream", u.name)
	d.upstreams = append(d.upstreams, u)
	return u
}

func (d *doc) addRoute(r *route) {
	r.id = d.name("route", r.id)
	d.routes = append(d.routes, r)
}

// check makes every policy one the cors library accepts, reporting each
// value it leaves out at the policy's source, and reports routes that
// would take the same requests.
func (d *doc) check() {
	for _, p := range d.policies {
		if p.p.Mode == "" {
			p.p.Mode = config.ModeGateway
		}
		for range 4 { // each pass removes the values the library refuses; a few passes settle
			_, err := cors.New(p.p.CORSConfig())
			if err == nil {
				break
			}
			drop := map[string][]int{}
			for _, e := range cors.ConfigErrors(err) {
				if e.Index < 0 {
					continue
				}
				sev := lint.Error
				switch e.Code {
				case cors.ProblemHeaderForbidden, cors.ProblemHeaderAccessControl, cors.ProblemMethodForbidden:
					sev = lint.Info // browsers never send them: nothing changes
				}
				d.report(sev, ruleInvalidValue, p.source, "%s %q is left out: %s", fieldName(e.Field), e.Value, e.Problem)
				drop[e.Field] = append(drop[e.Field], e.Index)
			}
			if len(drop) == 0 {
				for _, e := range cors.ConfigErrors(err) {
					d.report(lint.Error, ruleInvalidValue, p.source, "%s", e.Problem)
				}
				break
			}
			p.p.AllowOrigins = without(p.p.AllowOrigins, drop["AllowOrigins"])
			p.p.AllowOriginRegex = without(p.p.AllowOriginRegex, drop["AllowOriginRegex"])
			p.p.AllowMethods = without(p.p.AllowMethods, drop["AllowMethods"])
			p.p.AllowHeaders = without(p.p.AllowHeaders, drop["AllowHeaders"])
			p.p.ExposeHeaders = without(p.p.ExposeHeaders, drop["ExposeHeaders"])
		}
	}
	// The origins to list instead of "*": those the input's other policies
	// name, else examples.
	var named []string
	for _, p := range d.policies {
		for _, o := range p.p.AllowOrigins {
			if o != "*" && o != "null" && !slices.Contains(named, o) && len(named) < 5 {
				named = append(named, o)
			}
		}
	}
	for _, i := range d.refusedWildcards {
		if len(named) > 0 {
			d.findings[i].Message += fmt.Sprintf(", such as those the input's other policies allow (%s)", strings.Join(named, ", "))
		} else {
			d.findings[i].Message += ` (e.g. "https://app.example.com", "https://*.example.com")`
		}
	}

	// Objects that no route uses (their route was not converted) go.
	usedP, usedU := map[string]bool{d.defaults: true}, map[string]bool{}
	for _, r := range d.routes {
		usedP[r.cors], usedU[r.upstream] = true, true
	}
	d.policies = slices.DeleteFunc(d.policies, func(p *policy) bool { return !usedP[p.name] })
	d.upstreams = slices.DeleteFunc(d.upstreams, func(u *upstream) bool { return !usedU[u.name] })

	seen := map[string]*route{}
	for _, r := range d.routes {
		key := fmt.Sprintf("%q %q %q %q", r.hosts, r.path, r.prefix, r.methods)
		if first, dup := seen[key]; dup {
			d.report(lint.Warning, ruleRouteConflict, r.source, "route %q takes the same requests as route %q (%s), which comes first and wins; remove one, or tell them apart by host, path or methods", r.id, first.id, first.source)
			continue
		}
		seen[key] = r
	}
	if len(d.routes) == 0 && !slices.ContainsFunc(d.findings, func(f lint.Finding) bool { return f.Severity == lint.Error }) {
		file := strings.Join(d.files, ", ")
		d.report(lint.Error, ruleNoRoutes, src{file: file}, "nothing was converted: the input has no route with a path and a backend; check the format named on the command line")
	}
}

func fieldName(f string) string {
	return map[string]string{
		"AllowOrigins": "allow_origins entry", "AllowOriginRegex": "allow_origin_regex entry",
		"AllowMethods": "allow_methods entry", "AllowHeaders": "allow_headers entry", "ExposeHeaders": "expose_headers entry",
	}[f]
}

// without returns list without the entries at the indexes drop.
func without(list []string, drop []int) []string {
	if len(drop) == 0 {
		return list
	}
	var out []string
	for i, v := range list {
		if !slices.Contains(drop, i) {
			out = append(out, v)
		}
	}
	return out
}

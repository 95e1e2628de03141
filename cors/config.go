package cors

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/cors/internal/headerlist"
	"github.com/crossgate/crossgate/internal/fetch"
	"github.com/crossgate/crossgate/internal/origin"
	"golang.org/x/net/publicsuffix"
)

// Config describes a CORS policy: every origin, method and header it does
// not list is refused. New checks a Config and compiles it into a Policy; it
// refuses a Config without origins (the zero Config among them), since a
// policy that lets no page in is a mistake rather than a choice. Unlike
// rs/cors, an empty list never means "everything": "*" must be written.
type Config struct {
	// AllowOrigins lists the origins allowed to read responses. Each entry is
	// an origin in the form browsers send ("https://app.example.com": lower
	// case, no path, no default port), optionally with "*." before the host
	// to allow every subdomain at any depth ("https://*.example.com", which
	// does not allow "https://example.com" itself) and/or ":*" as the port to
	// allow any port, including none ("http://localhost:*"). "*" allows every
	// origin and must stand alone; "null" allows the opaque origin that
	// sandboxed frames and data: documents send.
	AllowOrigins []string

	// AllowOriginRegex lists RE2 regular expressions that an origin must
	// match as a whole; "^" and "$" are implied. They are tried after the
	// patterns of AllowOrigins.
	AllowOriginRegex []string

	// AllowMethods lists the methods a preflight may ask for, matched case
	// sensitively as browsers do. GET, HEAD and POST need no preflight and are
	// always allowed. "*" allows every method (not with credentials). An
	// accepted preflight's Access-Control-Allow-Methods is this whole list.
	AllowMethods []string

	// AllowHeaders lists the request headers a preflight may ask for, in any
	// case. "*" allows every header except Authorization, which must be
	// listed by name (the Fetch standard's rule), and not with credentials.
	// An accepted preflight's Access-Control-Allow-Headers is this whole
	// list, each name once, as written.
	AllowHeaders []string

	// ExposeHeaders lists the response headers that scripts may read beyond
	// the CORS-safelisted ones. "*" exposes all of them (not with
	// credentials).
	ExposeHeaders []string

	// AllowCredentials lets scripts send cookies and HTTP authentication and
	// read the response (Access-Control-Allow-Credentials: true).
	AllowCredentials bool

	// MaxAge is how long browsers may cache a preflight answer, in whole
	// seconds up to 24 hours. Zero leaves the header out (browsers then cache
	// for 5 s); a negative value down to -1s sends 0, which disables caching.
	// Chrome caps the value at 2 hours, Firefox at 24.
	MaxAge time.Duration

	// PreflightStatus is the status of an accepted preflight: 204 when zero;
	// 200 suits old clients that treat 204 as a failure. Any 2xx is accepted.
	PreflightStatus int

	// AllowPrivateNetwork answers Private Network Access preflights
	// (Access-Control-Request-Private-Network: true) with
	// Access-Control-Allow-Private-Network: true.
	AllowPrivateNetwork bool

	// TimingAllowOrigin sends Timing-Allow-Origin with the allowed origin, so
	// that pages can read the Resource Timing details of responses.
	TimingAllowOrigin bool

	// DangerouslyAllowInsecureOrigins accepts http:// origins together with
	// AllowCredentials. Anyone on the network path of such an origin can
	// inject script into it and read credentialed responses. Loopback origins
	// (localhost, 127.0.0.0/8, [::1]) never need this.
	DangerouslyAllowInsecureOrigins bool

	// DangerouslyAllowPublicSuffixWildcards accepts subdomain patterns over a
	// public suffix, such as "https://*.com" or "https://*.github.io", where
	// anyone can register a subdomain.
	DangerouslyAllowPublicSuffixWildcards bool
}

// fewMethods is the most allowed methods compared one by one, which costs
// less than hashing the requested method for a map lookup.
const fewMethods = 8

// MaxMaxAge is the largest MaxAge New accepts.
const MaxMaxAge = 24 * time.Hour

// ConfigError is one problem with a Config. New returns all of them at once,
// joined; use ConfigErrors to list them.
type ConfigError struct {
	// Field is the Config field, e.g. "AllowOrigins".
	Field string
	// Index is the position in a list field, or -1.
	Index int
	// Value is the offending value as written.
	Value string
	// Code names the kind of problem, for programs; never empty.
	Code ProblemCode
	// Problem says what is wrong and what to do, for people.
	Problem string
}

// ProblemCode names a kind of ConfigError with a stable code, fit for
// programs that act on the problem (linters, editors, metrics). Codes are
// stable; the wording of ConfigError.Problem may change.
type ProblemCode string

// The problem codes, by the field they are reported on.
const (
	ProblemOriginMalformed           ProblemCode = "origin-malformed"            // an AllowOrigins entry is not "*", "null" or an origin pattern in the form browsers send
	ProblemWildcardNotAlone          ProblemCode = "wildcard-not-alone"          // "*" in AllowOrigins beside other origins or regexes
	ProblemWildcardCredentials       ProblemCode = "wildcard-credentials"        // "*" in AllowOrigins, AllowMethods, AllowHeaders or ExposeHeaders with AllowCredentials
	ProblemNullCredentials           ProblemCode = "null-credentials"            // "null" in AllowOrigins with AllowCredentials
	ProblemPublicSuffixWildcard      ProblemCode = "public-suffix-wildcard"      // a subdomain pattern over a public suffix ("https://*.github.io")
	ProblemInsecureOriginCredentials ProblemCode = "insecure-origin-credentials" // an http:// origin that is not loopback, with AllowCredentials
	ProblemNoOrigins                 ProblemCode = "no-origins"                  // neither AllowOrigins nor AllowOriginRegex lists anything
	ProblemRegexEmpty                ProblemCode = "regex-empty"                 // an empty AllowOriginRegex entry
	ProblemRegexMalformed            ProblemCode = "regex-malformed"             // an AllowOriginRegex entry that does not compile as RE2
	ProblemRegexWithoutHTTPS         ProblemCode = "regex-without-https"         // with AllowCredentials, a regex that does not start with a literal "https://"
	ProblemMethodMalformed           ProblemCode = "method-malformed"            // an AllowMethods entry that is not a method name
	ProblemMethodForbidden           ProblemCode = "method-forbidden"            // CONNECT, TRACE or TRACK, which browsers never send
	ProblemMethodNotUpperCase        ProblemCode = "method-not-upper-case"       // a method browsers upper-case ("put"), not written in upper case
	ProblemHeaderMalformed           ProblemCode = "header-malformed"            // an AllowHeaders or ExposeHeaders entry that is not a header name
	ProblemHeaderTooLong             ProblemCode = "header-too-long"             // an AllowHeaders entry longer than the request-header parser accepts
	ProblemHeaderAccessControl       ProblemCode = "header-access-control"       // an Access-Control-* name in AllowHeaders or ExposeHeaders
	ProblemHeaderForbidden           ProblemCode = "header-forbidden"            // a forbidden request header in AllowHeaders, which scripts cannot set
	ProblemMaxAgeOutOfRange          ProblemCode = "max-age-out-of-range"        // MaxAge below -1s or above MaxMaxAge
	ProblemMaxAgeNotWholeSeconds     ProblemCode = "max-age-not-whole-seconds"   // MaxAge with a fraction of a second
	ProblemPreflightStatusNot2xx     ProblemCode = "preflight-status-not-2xx"    // a PreflightStatus outside 200-299
)

// ProblemCodes returns every ProblemCode, for tools that need the full set.
func ProblemCodes() []ProblemCode {
	return []ProblemCode{
		ProblemOriginMalformed, ProblemWildcardNotAlone, ProblemWildcardCredentials, ProblemNullCredentials,
		ProblemPublicSuffixWildcard, ProblemInsecureOriginCredentials, ProblemNoOrigins,
		ProblemRegexEmpty, ProblemRegexMalformed, ProblemRegexWithoutHTTPS,
		ProblemMethodMalformed, ProblemMethodForbidden, ProblemMethodNotUpperCase,
		ProblemHeaderMalformed, ProblemHeaderTooLong, ProblemHeaderAccessControl, ProblemHeaderForbidden,
		ProblemMaxAgeOutOfRange, ProblemMaxAgeNotWholeSeconds, ProblemPreflightStatusNot2xx,
	}
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("cors: ")
	b.WriteString(e.Field)
	if e.Index >= 0 {
		fmt.Fprintf(&b, "[%d]", e.Index)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// ConfigErrors returns every *ConfigError in err, in the order New found
// them.
func ConfigErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*ConfigError); ok {
			out = append(out, ce)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// compiled is an immutable, checked form of a Config.
type compiled struct {
	cfg          Config
	origins      *origin.Set
	regexes      []*regexp.Regexp
	anyOrigin    bool // "*" is allowed
	staticAny    bool // "*" alone: responses do not depend on the origin
	methods      map[string]struct{}
	fewMethods   []string // methods, when there are only a handful
	anyMethod    bool
	headers      *headerlist.Set
	expose       string // joined ExposeHeaders, or ""
	acam         string // joined AllowMethods, or ""
	acah         string // joined AllowHeaders, or ""
	maxAge       string // value of Access-Control-Max-Age, or ""
	status       int
	preflightVar string // Vary value on preflights
	actualValues int    // header values written on an allowed actual request
}

func compile(c Config) (*compiled, error) {
	var errs []error
	add := func(field string, index int, value string, code ProblemCode, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Index: index, Value: value, Code: code, Problem: fmt.Sprintf(format, args...)})
	}
	cc := &compiled{cfg: cloneConfig(c), methods: make(map[string]struct{})}

	var patterns []origin.Pattern
	for i, s := range c.AllowOrigins {
		p, err := origin.ParsePattern(s)
		if err != nil {
			add("AllowOrigins", i, s, ProblemOriginMalformed, "%v", err)
			continue
		}
		switch p.Kind {
		case origin.Any:
			cc.anyOrigin = true
			if c.AllowCredentials {
				add("AllowOrigins", i, s, ProblemWildcardCredentials, `"*" cannot be used with AllowCredentials: browsers refuse it; list the origins that need credentials`)
			}
			if len(c.AllowOrigins) > 1 || len(c.AllowOriginRegex) > 0 {
				add("AllowOrigins", i, s, ProblemWildcardNotAlone, `"*" allows every origin and must be the only entry; remove it or the other origins`)
			}
		case origin.Null:
			if c.AllowCredentials {
				add("AllowOrigins", i, s, ProblemNullCredentials, `"null" cannot be used with AllowCredentials: any site can send Origin: null from a sandboxed frame`)
			}
		case origin.Subdomains:
			if !c.DangerouslyAllowPublicSuffixWildcards && coversPublicSuffix(p.Host) {
				add("AllowOrigins", i, s, ProblemPublicSuffixWildcard, "%q is a public suffix, so anyone can register a subdomain of it; list your own domains (\"%s://*.yourdomain.%s\"), or set DangerouslyAllowPublicSuffixWildcards", p.Host, p.Scheme, p.Host)
			}
		}
		if p.Scheme == "http" && c.AllowCredentials && !c.DangerouslyAllowInsecureOrigins && !isLoopback(p) {
			add("AllowOrigins", i, s, ProblemInsecureOriginCredentials, "an http:// origin with AllowCredentials lets anyone on its network path read credentialed responses; use https, or set DangerouslyAllowInsecureOrigins")
		}
		patterns = append(patterns, p)
	}
	cc.origins = origin.NewSet(patterns)
	cc.staticAny = cc.anyOrigin && len(c.AllowOrigins) == 1

	for i, s := range c.AllowOriginRegex {
		if s == "" {
			add("AllowOriginRegex", i, s, ProblemRegexEmpty, "empty regular expression")
			continue
		}
		raw, err := regexp.Compile(s)
		if err != nil {
			add("AllowOriginRegex", i, s, ProblemRegexMalformed, "does not compile: %v", err)
			continue
		}
		re := regexp.MustCompile(`^(?:` + s + `)$`)
		// With credentials, a regex must visibly stay on https: one that
		// starts with anything else ("https?://", ".*", "(a|b)") may admit
		// http origins or any origin at all, and the mistake would be silent.
		if prefix, _ := raw.LiteralPrefix(); c.AllowCredentials && !c.DangerouslyAllowInsecureOrigins && !strings.HasPrefix(prefix, "https://") {
			add("AllowOriginRegex", i, s, ProblemRegexWithoutHTTPS, `with AllowCredentials a regex must start with a literal "https://" (e.g. "https://(app|admin)\.example\.com"), so that it cannot match http:// origins or any origin; for local development use "http://localhost:*" in AllowOrigins, or set DangerouslyAllowInsecureOrigins`)
		}
		cc.regexes = append(cc.regexes, re)
	}
	if len(c.AllowOrigins) == 0 && len(c.AllowOriginRegex) == 0 {
		add("AllowOrigins", -1, "", ProblemNoOrigins, "no origin is allowed; list at least one origin in AllowOrigins or AllowOriginRegex")
	}

	var acam []string
	for i, m := range c.AllowMethods {
		switch {
		case m == "*":
			if !cc.anyMethod {
				acam = append(acam, m)
			}
			cc.anyMethod = true
			if c.AllowCredentials {
				add("AllowMethods", i, m, ProblemWildcardCredentials, `"*" means a method literally named "*" when credentials are allowed; list the methods`)
			}
			continue
		case !fetch.IsToken(m):
			add("AllowMethods", i, m, ProblemMethodMalformed, "not a valid method name")
			continue
		case fetch.ForbiddenMethod(m):
			add("AllowMethods", i, m, ProblemMethodForbidden, "browsers never send %s; remove it", strings.ToUpper(m))
			continue
		case m != strings.ToUpper(m) && fetch.NormalizedMethod(m):
			add("AllowMethods", i, m, ProblemMethodNotUpperCase, "browsers upper-case this method and match it case-sensitively; write %q", strings.ToUpper(m))
			continue
		}
		if _, dup := cc.methods[m]; !dup {
			cc.methods[m] = struct{}{}
			cc.fewMethods = append(cc.fewMethods, m)
			acam = append(acam, m)
		}
	}
	cc.acam = strings.Join(acam, ", ")
	if len(cc.fewMethods) > fewMethods {
		cc.fewMethods = nil
	}

	var headers, acah []string
	for i, h := range c.AllowHeaders {
		lh := strings.ToLower(h)
		switch {
		case h == "*":
			if c.AllowCredentials {
				add("AllowHeaders", i, h, ProblemWildcardCredentials, `"*" means a header literally named "*" when credentials are allowed; list the headers`)
			}
		case !fetch.IsToken(h):
			add("AllowHeaders", i, h, ProblemHeaderMalformed, "not a valid header name")
			continue
		case len(h) > headerlist.MaxNameLength:
			add("AllowHeaders", i, h, ProblemHeaderTooLong, "longer than %d bytes", headerlist.MaxNameLength)
			continue
		case strings.HasPrefix(lh, "access-control-"):
			add("AllowHeaders", i, h, ProblemHeaderAccessControl, "Access-Control-* headers belong to the CORS protocol, not to requests; remove it")
			continue
		case fetch.ForbiddenRequestHeaderName(lh):
			add("AllowHeaders", i, h, ProblemHeaderForbidden, "a forbidden request header: browsers never let scripts set it; remove it")
			continue
		}
		if !slices.Contains(headers, lh) {
			acah = append(acah, h)
		}
		headers = append(headers, lh)
	}
	cc.headers = headerlist.NewSet(headers)
	cc.acah = strings.Join(acah, ", ")

	var expose []string
	for i, h := range c.ExposeHeaders {
		switch {
		case h == "*":
			if c.AllowCredentials {
				add("ExposeHeaders", i, h, ProblemWildcardCredentials, `"*" means a header literally named "*" when credentials are allowed; list the headers`)
			}
		case !fetch.IsToken(h):
			add("ExposeHeaders", i, h, ProblemHeaderMalformed, "not a valid header name")
			continue
		case strings.HasPrefix(strings.ToLower(h), "access-control-"):
			add("ExposeHeaders", i, h, ProblemHeaderAccessControl, "Access-Control-* headers belong to the CORS protocol; remove it")
			continue
		}
		if !slices.ContainsFunc(expose, func(e string) bool { return strings.EqualFold(e, h) }) {
			expose = append(expose, h)
		}
	}
	cc.expose = strings.Join(expose, ", ")

	switch {
	case c.MaxAge < -time.Second || c.MaxAge > MaxMaxAge:
		add("MaxAge", -1, c.MaxAge.String(), ProblemMaxAgeOutOfRange, "must be between -1s (no caching) and 24h; browsers cap it anyway (Chrome at 2h)")
	case c.MaxAge < 0:
		cc.maxAge = "0"
	case c.MaxAge > 0 && c.MaxAge < time.Second:
		// MaxAge: 7200 is 7200 ns: seconds written as a bare number.
		add("MaxAge", -1, c.MaxAge.String(), ProblemMaxAgeNotWholeSeconds,
			"is under a second: a time.Duration counts nanoseconds, so %d means %s; write %d * time.Second", int64(c.MaxAge), c.MaxAge, int64(c.MaxAge))
	case c.MaxAge%time.Second != 0:
		add("MaxAge", -1, c.MaxAge.String(), ProblemMaxAgeNotWholeSeconds, "must be a whole number of seconds")
	case c.MaxAge > 0:
		cc.maxAge = strconv.FormatInt(int64(c.MaxAge/time.Second), 10)
	}

	switch {
	case c.PreflightStatus == 0:
		cc.status = 204
	case c.PreflightStatus >= 200 && c.PreflightStatus <= 299:
		cc.status = c.PreflightStatus
	default:
		add("PreflightStatus", -1, strconv.Itoa(c.PreflightStatus), ProblemPreflightStatusNot2xx, "browsers accept a preflight answer only with a 2xx status; use 204 or 200")
	}

	cc.actualValues = 2 + b2i(c.AllowCredentials) + b2i(cc.expose != "") + b2i(c.TimingAllowOrigin)
	cc.preflightVar = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	if c.AllowPrivateNetwork {
		cc.preflightVar += ", Access-Control-Request-Private-Network"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cc, nil
}

// coversPublicSuffix reports whether "*.host" would match subdomains that
// different owners can register.
func coversPublicSuffix(host string) bool {
	suffix, _ := publicsuffix.PublicSuffix(host)
	return suffix == host
}

// isLoopback reports whether an origin pattern names this machine, which
// browsers treat as a secure context even over http.
func isLoopback(p origin.Pattern) bool {
	if p.Host == "localhost" || strings.HasSuffix(p.Host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(p.Host, "[]"))
	return ip != nil && ip.IsLoopback() && p.Kind == origin.Exact
}

func cloneConfig(c Config) Config {
	c.AllowOrigins = slices.Clone(c.AllowOrigins)
	c.AllowOriginRegex = slices.Clone(c.AllowOriginRegex)
	c.AllowMethods = slices.Clone(c.AllowMethods)
	c.AllowHeaders = slices.Clone(c.AllowHeaders)
	c.ExposeHeaders = slices.Clone(c.ExposeHeaders)
	return c
}

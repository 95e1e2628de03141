package cors

import (
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/cors/internal/headerlist"
	"github.com/crossgate/crossgate/cors/internal/origin"
)

// Kind classifies a request from the point of view of CORS.
type Kind uint8

const (
	// NotCORS is a request without an Origin header: a same-origin
	// navigation, a server-to-server call, curl.
	NotCORS Kind = iota
	// Actual is a request with an Origin header that is not a preflight,
	// including OPTIONS requests without Access-Control-Request-Method.
	Actual
	// Preflight is OPTIONS with both Origin and Access-Control-Request-Method.
	Preflight
)

func (k Kind) String() string {
	switch k {
	case Actual:
		return "actual"
	case Preflight:
		return "preflight"
	}
	return "none"
}

// Reason explains a Decision with a stable code, fit for metrics labels and
// logs.
type Reason uint8

// The reasons; their String values are stable.
const (
	ReasonNoOrigin                 Reason = iota // no Origin header
	ReasonAllowed                                // the request passes the policy
	ReasonOriginNotAllowed                       // the origin matches no pattern
	ReasonOriginMalformed                        // Origin is not a serialized origin, or is sent twice
	ReasonMethodNotAllowed                       // the preflight asks for a method not allowed
	ReasonMethodMalformed                        // Access-Control-Request-Method is not a method
	ReasonHeadersNotAllowed                      // the preflight asks for a header not allowed
	ReasonHeadersMalformed                       // Access-Control-Request-Headers is not a list of names
	ReasonHeadersTooLarge                        // Access-Control-Request-Headers exceeds the parser's bounds
	ReasonPrivateNetworkNotAllowed               // a Private Network Access preflight, not allowed
)

var reasonNames = [...]string{
	ReasonNoOrigin:                 "no-origin",
	ReasonAllowed:                  "allowed",
	ReasonOriginNotAllowed:         "origin-not-allowed",
	ReasonOriginMalformed:          "origin-malformed",
	ReasonMethodNotAllowed:         "method-not-allowed",
	ReasonMethodMalformed:          "method-malformed",
	ReasonHeadersNotAllowed:        "headers-not-allowed",
	ReasonHeadersMalformed:         "headers-malformed",
	ReasonHeadersTooLarge:          "headers-too-large",
	ReasonPrivateNetworkNotAllowed: "private-network-not-allowed",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Reasons returns every Reason, for tools that need the full set (metrics
// that pre-register label values, documentation).
func Reasons() []Reason {
	rs := make([]Reason, len(reasonNames))
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// Header names the policy writes.
const (
	headerACAO   = "Access-Control-Allow-Origin"
	headerACAC   = "Access-Control-Allow-Credentials"
	headerACAM   = "Access-Control-Allow-Methods"
	headerACAH   = "Access-Control-Allow-Headers"
	headerACEH   = "Access-Control-Expose-Headers"
	headerACMA   = "Access-Control-Max-Age"
	headerACAPN  = "Access-Control-Allow-Private-Network"
	headerTAO    = "Timing-Allow-Origin"
	headerVary   = "Vary"
	headerOrigin = "Origin"
	headerACRM   = "Access-Control-Request-Method"
	headerACRH   = "Access-Control-Request-Headers"
	headerACRPN  = "Access-Control-Request-Private-Network"
)

// maxFields is the most headers one decision writes: a preflight's ACAO,
// ACAC, ACAM, ACAH, ACMA, ACAPN and Vary.
const maxFields = 8

// field is one header of a decision: either one value, or the lines of a
// request header that the response echoes (Access-Control-Request-Headers
// as Access-Control-Allow-Headers).
type field struct {
	name  string
	value string
	lines []string
}

// Decision is what a Policy makes of one request: its kind, whether the
// policy allows it and why, and the headers to write. It holds no reference
// to a ResponseWriter; Apply writes the headers.
type Decision struct {
	Kind    Kind
	Allowed bool
	Reason  Reason
	// Status is the status to answer a preflight with: the policy's success
	// status, or 403 when refused. It is 0 for other kinds, whose status is
	// the handler's.
	Status int
	// Detail names what was refused: the header or method, as sent.
	Detail string

	fields [maxFields]field
	n      int
	vary   string
	slabs  *slabPool
}

func (d *Decision) set(name, value string) {
	d.fields[d.n] = field{name: name, value: value}
	d.n++
}

// Decide applies the policy to a request. It reads only the request's method
// and headers, never allocates, and is safe for concurrent use.
func (p *Policy) Decide(r *http.Request) Decision {
	return p.cur.Load().decide(r.Method, r.Header, &p.slabs)
}

func (c *compiled) decide(method string, h http.Header, slabs *slabPool) Decision {
	d := Decision{slabs: slabs}
	origins := h[headerOrigin]
	acrm, hasACRM := h[headerACRM]
	switch {
	case len(origins) == 0:
		d.Kind = NotCORS
	case method == http.MethodOptions && hasACRM:
		d.Kind = Preflight
	default:
		d.Kind = Actual
	}

	if d.Kind != Preflight {
		if c.staticAny {
			// The answer is the same for every origin and for none: no Vary,
			// and ACAO: * even without Origin, so that a cache never hands a
			// CORS request a response without it.
			d.Allowed = true
			d.Reason = ReasonAllowed
			if d.Kind == NotCORS {
				d.Reason = ReasonNoOrigin
			}
			d.set(headerACAO, "*")
			if c.expose != "" {
				d.set(headerACEH, c.expose)
			}
			if c.cfg.TimingAllowOrigin {
				d.set(headerTAO, "*")
			}
			return d
		}
		d.vary = headerOrigin
		if d.Kind == NotCORS {
			d.Reason = ReasonNoOrigin
			return d
		}
	}

	o, ok := c.matchOrigin(origins)
	if !ok {
		if d.Kind == Preflight {
			d.Status = http.StatusForbidden
			d.vary = c.preflightVar
		}
		d.Reason = ReasonOriginNotAllowed
		if len(origins) != 1 || !wellFormedOrigin(o) {
			d.Reason = ReasonOriginMalformed
		}
		return d
	}

	if d.Kind == Actual {
		d.Allowed = true
		d.Reason = ReasonAllowed
		c.allowOrigin(&d, o)
		if c.expose != "" {
			d.set(headerACEH, c.expose)
		}
		if c.cfg.TimingAllowOrigin {
			d.set(headerTAO, o)
		}
		return d
	}

	// A preflight from an allowed origin.
	d.vary = c.preflightVar
	d.Status = http.StatusForbidden
	m := ""
	if len(acrm) > 0 {
		m = acrm[0]
	}
	if len(acrm) != 1 || !headerlist.IsToken(m) {
		d.Reason = ReasonMethodMalformed
		return d
	}
	if !c.allowsMethod(m) {
		d.Reason = ReasonMethodNotAllowed
		d.Detail = m
		return d
	}
	acrh := h[headerACRH]
	switch res, name := c.headers.Check(acrh); res {
	case headerlist.NotAllowed:
		d.Reason = ReasonHeadersNotAllowed
		d.Detail = name
		return d
	case headerlist.Malformed:
		d.Reason = ReasonHeadersMalformed
		return d
	case headerlist.TooLarge:
		d.Reason = ReasonHeadersTooLarge
		return d
	}
	pna := false
	if v := h[headerACRPN]; len(v) > 0 {
		if !c.cfg.AllowPrivateNetwork {
			d.Reason = ReasonPrivateNetworkNotAllowed
			return d
		}
		pna = v[0] == "true"
	}

	d.Allowed = true
	d.Reason = ReasonAllowed
	d.Status = c.status
	if c.staticAny && !pna {
		d.set(headerACAO, "*")
	} else {
		c.allowOrigin(&d, o)
	}
	d.set(headerACAM, m)
	if len(acrh) > 0 {
		d.fields[d.n] = field{name: headerACAH, lines: acrh}
		d.n++
	}
	if c.maxAge != "" {
		d.set(headerACMA, c.maxAge)
	}
	if pna {
		d.set(headerACAPN, "true")
	}
	return d
}

// allowOrigin echoes the origin (byte for byte what the browser sent) and
// the credentials flag.
func (c *compiled) allowOrigin(d *Decision, o string) {
	d.set(headerACAO, o)
	if c.cfg.AllowCredentials {
		d.set(headerACAC, "true")
	}
}

// matchOrigin returns the single Origin value and whether it is allowed.
func (c *compiled) matchOrigin(origins []string) (string, bool) {
	if len(origins) != 1 {
		return "", false
	}
	o := origins[0]
	if c.origins.Match(o) {
		return o, true
	}
	// Regexes see only canonical origins: never "null" (allowed only when
	// listed), nothing longer than an origin can be.
	if len(c.regexes) == 0 {
		return o, false
	}
	if _, ok := origin.Parse(o); !ok {
		return o, false
	}
	for _, re := range c.regexes {
		if re.MatchString(o) {
			return o, true
		}
	}
	return o, false
}

func (c *compiled) allowsMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	if c.anyMethod {
		return true
	}
	_, ok := c.methods[m]
	return ok
}

// Apply writes the decision's headers into h. Existing Vary values are kept
// and the names the decision depends on are added to them; every other
// header the decision carries replaces what h had. Each value slice written
// is fresh: nothing in h is shared with another request, so a handler may
// change h freely.
func (d *Decision) Apply(h http.Header) {
	need := 0
	for i := range d.n {
		if l := d.fields[i].lines; l != nil {
			need += len(l)
		} else {
			need++
		}
	}
	old := h[headerVary]
	missing := 0 // Vary names to add
	if d.vary != "" {
		missing = varyMissing(old, d.vary, nil)
		if missing > 0 {
			need += len(old) + missing
		}
	}
	buf := d.slabs.take(need)
	for i := range d.n {
		f := &d.fields[i]
		var s []string
		if f.lines != nil {
			s, buf = buf[:len(f.lines):len(f.lines)], buf[len(f.lines):]
			copy(s, f.lines)
		} else {
			s, buf = buf[:1:1], buf[1:]
			s[0] = f.value
		}
		h[f.name] = s
	}
	if missing > 0 {
		s := buf[: len(old)+missing : len(old)+missing]
		copy(s, old)
		varyMissing(old, d.vary, s[len(old):])
		h[headerVary] = s
	}
}

// Header returns the decision's headers as a new http.Header, for display
// and tests; Apply is the allocation-free way to write them.
func (d *Decision) Header() http.Header {
	h := make(http.Header)
	d.Apply(h)
	return h
}

// varyMissing counts the Vary lines to add for the comma-separated names v:
// none when the Vary lines already name them all or are "*"; v as one line
// when they name none of them; else one line per missing name. It stores
// the lines in out when out is not nil. The lines are substrings of v, so
// storing them allocates nothing.
func varyMissing(lines []string, v string, out []string) int {
	for _, l := range lines {
		if listHasFold(l, "*") {
			return 0
		}
	}
	missing := varyNames(lines, v, nil)
	if missing == strings.Count(v, ",")+1 {
		if out != nil {
			out[0] = v
		}
		return 1
	}
	return varyNames(lines, v, out)
}

// varyNames counts, and stores in out when not nil, the names of v that the
// Vary lines do not name.
func varyNames(lines []string, v string, out []string) int {
	n := 0
	for rest := v; rest != ""; {
		name := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		name = trimOWS(name)
		if slices.ContainsFunc(lines, func(l string) bool { return listHasFold(l, name) }) {
			continue
		}
		if out != nil {
			out[n] = name
		}
		n++
	}
	return n
}

// listHasFold reports whether the comma-separated list l holds name, in any
// case.
func listHasFold(l, name string) bool {
	for len(l) > 0 {
		i := 0
		for i < len(l) && l[i] != ',' {
			i++
		}
		e := trimOWS(l[:i])
		if len(e) == len(name) && equalFoldASCII(e, name) {
			return true
		}
		if i == len(l) {
			break
		}
		l = l[i+1:]
	}
	return false
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

package cors

import (
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/cors/internal/headerlist"
	"github.com/crossgate/crossgate/internal/fetch"
	"github.com/crossgate/crossgate/internal/origin"
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

// Decision is what a Policy makes of one request: its kind, whether the
// policy allows it and why, and the headers to write. It holds no reference
// to a ResponseWriter; Apply writes the headers.
type Decision struct {
	// Kind says whether the request is a preflight, an actual CORS request
	// or not a CORS request at all (no Origin).
	Kind Kind
	// Allowed reports whether the policy lets the page read the response
	// (for a preflight: send the actual request). A request without Origin
	// is Allowed only under a static "*" policy, whose headers go on every
	// response.
	Allowed bool
	// Reason is the stable code of the outcome: ReasonAllowed, or why the
	// request was refused (ReasonOriginNotAllowed, ...), or ReasonNoOrigin.
	Reason Reason
	// Status is the status to answer a preflight with: the policy's success
	// status, or 403 when refused. It is 0 for other kinds, whose status is
	// the handler's.
	Status int
	// Detail names what was refused: the header or method, as sent.
	Detail string

	// The headers, each written when not empty.
	acao, expose, tao, acam, acah, maxAge, vary string
	credentials, pna                            bool
	slabs                                       *slabAlloc
}

// Decide applies the policy to a request. It reads only the request's method
// and headers, never allocates, and is safe for concurrent use.
func (p *Policy) Decide(r *http.Request) Decision {
	var d Decision
	origins := r.Header[headerOrigin]
	p.cur.Load().decide(&d, r.Method, r.Header, origins, &p.slabs)
	if d.Reason == ReasonOriginNotAllowed && (len(origins) != 1 || !wellFormedOrigin(origins[0])) {
		d.Reason = ReasonOriginMalformed
	}
	return d
}

// decide fills d, which must be zero, for a request whose Origin lines are
// origins. A refused origin gets ReasonOriginNotAllowed, even when it is
// malformed: the headers are the same either way, so telling the two apart
// is left to the callers that report the reason.
func (c *compiled) decide(d *Decision, method string, h http.Header, origins []string, slabs *slabAlloc) {
	d.slabs = slabs
	var acrm []string
	switch {
	case len(origins) == 0:
		d.Kind = NotCORS
	case method == http.MethodOptions:
		var ok bool
		if acrm, ok = h[headerACRM]; ok {
			d.Kind = Preflight
		} else {
			d.Kind = Actual
		}
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
			d.acao, d.expose = "*", c.expose
			if c.cfg.TimingAllowOrigin {
				d.tao = "*"
			}
			return
		}
		d.vary = headerOrigin
		if d.Kind == NotCORS {
			d.Reason = ReasonNoOrigin
			return
		}
	}

	if len(origins) != 1 || !c.matchOrigin(origins[0]) {
		if d.Kind == Preflight {
			d.Status = http.StatusForbidden
			d.vary = c.preflightVar
		}
		d.Reason = ReasonOriginNotAllowed
		return
	}
	o := origins[0]

	if d.Kind == Actual {
		d.Allowed = true
		d.Reason = ReasonAllowed
		d.acao, d.credentials, d.expose = o, c.cfg.AllowCredentials, c.expose
		if c.cfg.TimingAllowOrigin {
			d.tao = o
		}
		return
	}

	// A preflight from an allowed origin.
	d.vary = c.preflightVar
	d.Status = http.StatusForbidden
	m := ""
	if len(acrm) > 0 {
		m = acrm[0]
	}
	if len(acrm) != 1 || !fetch.IsToken(m) {
		d.Reason = ReasonMethodMalformed
		return
	}
	if !c.allowsMethod(m) {
		d.Reason = ReasonMethodNotAllowed
		d.Detail = m
		return
	}
	acrh := h[headerACRH]
	switch res, name := c.headers.Check(acrh); res {
	case headerlist.NotAllowed:
		d.Reason = ReasonHeadersNotAllowed
		d.Detail = name
		return
	case headerlist.Malformed:
		d.Reason = ReasonHeadersMalformed
		return
	case headerlist.TooLarge:
		d.Reason = ReasonHeadersTooLarge
		return
	}
	if v := h[headerACRPN]; len(v) > 0 {
		if !c.cfg.AllowPrivateNetwork {
			d.Reason = ReasonPrivateNetworkNotAllowed
			return
		}
		d.pna = v[0] == "true"
	}

	d.Allowed = true
	d.Reason = ReasonAllowed
	d.Status = c.status
	if c.staticAny && !d.pna {
		d.acao = "*"
	} else {
		d.acao, d.credentials = o, c.cfg.AllowCredentials
	}
	// The policy's whole lists, not only what this preflight asked for:
	// browsers cache every method and header name of the answer, so that
	// one preflight covers the page's later calls (Fetch, "CORS-preflight
	// cache"). With no method listed, the method asked for is one of GET,
	// HEAD and POST, which need no listing; it is named all the same, for
	// clients that look for it.
	d.acam, d.acah, d.maxAge = c.acam, c.acah, c.maxAge
	if d.acam == "" {
		d.acam = m
	}
	// Browsers ignore Access-Control-Expose-Headers on a preflight; the
	// Gateway API's CORS conformance asks for it there all the same.
	d.expose = c.expose
}

// matchOrigin reports whether the policy allows o, the value of a request's
// only Origin line.
func (c *compiled) matchOrigin(o string) bool {
	if c.origins.Match(o) {
		return true
	}
	// Regexes see only canonical origins: never "null" (allowed only when
	// listed), nothing longer than an origin can be.
	if len(c.regexes) == 0 {
		return false
	}
	if _, ok := origin.Parse(o); !ok {
		return false
	}
	for _, re := range c.regexes {
		if re.MatchString(o) {
			return true
		}
	}
	return false
}

func (c *compiled) allowsMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	if c.anyMethod {
		return true
	}
	if len(c.methods) <= fewMethods {
		return slices.Contains(c.fewMethods, m)
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
	need := b2i(d.acah != "") + b2i(d.acao != "") + b2i(d.expose != "") + b2i(d.tao != "") +
		b2i(d.acam != "") + b2i(d.maxAge != "") + b2i(d.credentials) + b2i(d.pna)
	// old are the Vary lines already there, add the lines to add: at most
	// one per name of d.vary, which has at most four.
	var old, add []string
	var addBuf [4]string
	if d.vary != "" {
		old = h[headerVary]
		add = varyAdd(addBuf[:0], old, d.vary)
		if len(add) > 0 {
			need += len(old) + len(add)
		}
	}
	if need == 0 {
		return
	}
	buf := d.slabs.take(need)
	i := 0
	if d.acao != "" {
		buf[i] = d.acao
		h[headerACAO] = buf[i : i+1 : i+1]
		i++
	}
	if d.credentials {
		buf[i] = "true"
		h[headerACAC] = buf[i : i+1 : i+1]
		i++
	}
	if d.expose != "" {
		buf[i] = d.expose
		h[headerACEH] = buf[i : i+1 : i+1]
		i++
	}
	if d.tao != "" {
		buf[i] = d.tao
		h[headerTAO] = buf[i : i+1 : i+1]
		i++
	}
	if d.acam != "" {
		buf[i] = d.acam
		h[headerACAM] = buf[i : i+1 : i+1]
		i++
	}
	if d.acah != "" {
		buf[i] = d.acah
		h[headerACAH] = buf[i : i+1 : i+1]
		i++
	}
	if d.maxAge != "" {
		buf[i] = d.maxAge
		h[headerACMA] = buf[i : i+1 : i+1]
		i++
	}
	if d.pna {
		buf[i] = "true"
		h[headerACAPN] = buf[i : i+1 : i+1]
		i++
	}
	if len(add) > 0 {
		n := len(old) + len(add)
		s := buf[i : i+n : i+n]
		copy(s, old)
		copy(s[len(old):], add)
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

// varyAdd appends to out the Vary lines to add for the comma-separated
// names v, given the Vary lines already there: none when they name them all
// or are "*"; v as one line when they name none of them; else one line per
// missing name. The lines are v or substrings of it, so nothing is copied.
func varyAdd(out, lines []string, v string) []string {
	if len(lines) == 0 {
		return append(out, v)
	}
	if slices.ContainsFunc(lines, func(l string) bool { return listHasFold(l, "*") }) {
		return out
	}
	start, names := len(out), 0
	for rest := v; rest != ""; {
		name := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		name = trimOWS(name)
		names++
		if !slices.ContainsFunc(lines, func(l string) bool { return listHasFold(l, name) }) {
			out = append(out, name)
		}
	}
	if len(out)-start == names {
		return append(out[:start], v)
	}
	return out
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

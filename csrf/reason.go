package csrf

// Reason is why a request was refused, as a stable code fit for metrics
// labels, access logs and the body of the 403 response.
type Reason uint8

// The reasons; their String values are stable.
const (
	// ReasonCrossSite: Sec-Fetch-Site is cross-site (or a value browsers do
	// not send) and the Origin is not one the route trusts.
	ReasonCrossSite Reason = iota + 1
	// ReasonSameSiteUntrusted: Sec-Fetch-Site is same-site and the Origin
	// is not one the route trusts. A sibling subdomain is a different
	// origin, and may be less trustworthy than the API.
	ReasonSameSiteUntrusted
	// ReasonOriginMismatch: Sec-Fetch-Site is absent and the Origin is
	// neither the request's own nor one the route trusts.
	ReasonOriginMismatch
	// ReasonOriginMalformed: the Origin is not a serialized origin in the
	// form browsers send (userinfo, a path, upper case, a default port), or
	// is sent more than once.
	ReasonOriginMalformed
	// ReasonCookieMissing: the token cookie is absent; the page has not
	// loaded anything from the route with a safe method yet.
	ReasonCookieMissing
	// ReasonTokenMissing: the token cookie is present but the token header
	// is absent.
	ReasonTokenMissing
	// ReasonTokenInvalid: the header and cookie disagree, or the token is
	// malformed or signed with a key the route does not hold.
	ReasonTokenInvalid
	// ReasonTokenExpired: the token is genuine but its lifetime is over.
	ReasonTokenExpired
)

var reasonNames = [...]string{
	ReasonCrossSite:         "cross-site",
	ReasonSameSiteUntrusted: "same-site-untrusted",
	ReasonOriginMismatch:    "origin-mismatch",
	ReasonOriginMalformed:   "origin-malformed",
	ReasonCookieMissing:     "cookie-missing",
	ReasonTokenMissing:      "token-missing",
	ReasonTokenInvalid:      "token-invalid",
	ReasonTokenExpired:      "token-expired",
}

var reasonDetails = [...]string{
	ReasonCrossSite:         "the browser says the request comes from another site, whose origin the route does not trust",
	ReasonSameSiteUntrusted: "the browser says the request comes from another origin of the same site, which the route does not trust",
	ReasonOriginMismatch:    "the Origin is neither the request's own nor one the route trusts",
	ReasonOriginMalformed:   "the Origin header is not a serialized origin, or is sent more than once",
	ReasonCookieMissing:     "the token cookie is missing; load a page of the site with GET first",
	ReasonTokenMissing:      "the token header is missing; send the token cookie's value back in it",
	ReasonTokenInvalid:      "the token header does not match the token cookie, or the token is not genuine",
	ReasonTokenExpired:      "the token has expired; load a page of the site with GET to get a new one",
}

// String returns the reason's stable code, such as "cross-site".
func (r Reason) String() string {
	if r != 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "none"
}

// Reasons returns every Reason, for tools that need the full set (metrics
// that pre-register label values, documentation).
func Reasons() []Reason {
	rs := make([]Reason, 0, len(reasonNames)-1)
	for r := Reason(1); int(r) < len(reasonNames); r++ {
		rs = append(rs, r)
	}
	return rs
}

// body is the JSON body of the 403 response for r. The codes need no
// escaping.
func (r Reason) body() string {
	return `{"error":"csrf","reason":"` + r.String() + `"}` + "\n"
}

// Error is the error Check and Protect return for a refused request.
// Retrieve it with errors.As to read the Reason.
type Error struct {
	Reason Reason
}

func (e Error) Error() string {
	if e.Reason != 0 && int(e.Reason) < len(reasonDetails) {
		return "csrf: request refused (" + e.Reason.String() + "): " + reasonDetails[e.Reason]
	}
	return "csrf: request refused"
}

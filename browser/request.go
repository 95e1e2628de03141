package browser

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/crossgate/crossgate/internal/fetch"
)

// Initiator names the API a page uses to make a request. It changes the
// wording of Chrome's console messages, nothing else.
type Initiator string

// The initiators whose console messages differ.
const (
	// Fetch is the fetch() API, the default.
	Fetch Initiator = "fetch"
	// XMLHttpRequest is the XMLHttpRequest API; credentials are its
	// withCredentials attribute.
	XMLHttpRequest Initiator = "XMLHttpRequest"
)

// Request is a request as a page's script issues it, in CORS mode.
//
// Build one with NewRequest, which validates and normalises it as fetch()
// does; a Request built as a literal is validated by every function that
// uses it. Redirect returns the Request for the next hop of a redirect
// chain, which carries the chain's state (the URL it started from, the
// number of redirects, whether the origin is tainted to "null").
type Request struct {
	// URL is the request's current URL, http or https, without userinfo.
	URL *url.URL
	// Origin is the serialized origin of the page that makes the request
	// ("https://app.example.com"), or "null" for an opaque origin
	// (sandboxed frames, data: documents, file: pages).
	Origin string
	// Method is the request method. NewRequest upper-cases DELETE, GET,
	// HEAD, OPTIONS, POST and PUT as browsers do; other methods are sent,
	// and matched, as written.
	Method string
	// Header holds the headers the script sets, each value one
	// Headers.append. Several values of one name are sent, and judged
	// safelisted or not, as one line joined with ", ", as Chrome does.
	Header http.Header
	// Credentials is true for credentials mode "include" (fetch's
	// credentials: "include", XMLHttpRequest's withCredentials).
	Credentials bool
	// Initiator is the API that makes the request; empty means Fetch.
	Initiator Initiator

	initialURL *url.URL
	redirects  int
	// tainted is the Fetch standard's redirect-taint other than
	// "same-origin": the request's origin then serializes to "null".
	tainted bool
	// corsTainting records that some URL of the chain was cross-origin, so
	// the response is subject to the CORS check even if the chain came back.
	corsTainting bool
	// crossSite records that some URL of the chain was cross-site, for
	// Sec-Fetch-Site.
	crossSite, sameSite bool
}

// NewRequest builds and validates the request a script makes with
// fetch(rawURL, {method, headers, credentials}) on a page of origin. It
// returns an error, as fetch() throws one, for a URL that is not http(s) or
// carries a username or password, a malformed origin, a method that is not
// a token or is forbidden (CONNECT, TRACE, TRACK), and a header name or
// value that is invalid or forbidden (Cookie, Host, Origin, Sec-*, ...):
// browsers never let a script send those, so checking them would check a
// request no page can make.
func NewRequest(rawURL, origin, method string, header http.Header, credentials bool) (*Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", rawURL, err)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.Opaque == "" {
		u.Path = "/"
	}
	if method == "" {
		method = http.MethodGet
	}
	req := &Request{
		URL:         u,
		Origin:      origin,
		Method:      normalizeMethod(method),
		Header:      make(http.Header, len(header)),
		Credentials: credentials,
	}
	for name, values := range header {
		for _, v := range values {
			// Headers.append strips leading and trailing HTTP whitespace.
			req.Header.Add(name, strings.Trim(v, " \t\r\n"))
		}
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	return req, nil
}

// normalizeMethod upper-cases the methods the Fetch standard normalises.
func normalizeMethod(m string) string {
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return u
	}
	return m
}

// validate reports what fetch() would refuse to send.
func (r *Request) validate() error {
	if r == nil || r.URL == nil {
		return errors.New("request has no URL")
	}
	if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
		return fmt.Errorf("URL %q: only http and https URLs can be checked", r.URL.String())
	}
	if r.URL.Host == "" {
		return fmt.Errorf("URL %q has no host", r.URL.String())
	}
	if hasCredentials(r.URL) {
		return fmt.Errorf("URL %q includes a username or password; fetch() refuses such URLs (send credentials in a header instead)", r.URL.Redacted())
	}
	if err := validateOrigin(r.Origin); err != nil {
		return err
	}
	if !fetch.IsToken(r.Method) {
		return fmt.Errorf("%q is not a valid method name", r.Method)
	}
	if fetch.ForbiddenMethod(r.Method) {
		return fmt.Errorf("method %s is forbidden; browsers refuse to send it", r.Method)
	}
	for name, values := range r.Header {
		if !fetch.IsToken(name) {
			return fmt.Errorf("%q is not a valid header name", name)
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\x00\r\n") {
				return fmt.Errorf("header %s: value %q contains NUL, CR or LF", name, v)
			}
		}
		if fetch.ForbiddenRequestHeader(name, values) {
			return fmt.Errorf("%s is a forbidden request header: a script cannot set it (browsers drop it silently or refuse the request), so it cannot be part of a CORS check", http.CanonicalHeaderKey(name))
		}
	}
	return nil
}

// validateOrigin accepts "null" and origins serialized exactly as browsers
// serialize them.
func validateOrigin(o string) error {
	if o == "null" {
		return nil
	}
	if o == "" {
		return errors.New(`browser: the request has no origin: give the page's origin, e.g. "https://app.example.com", or "null"`)
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return fmt.Errorf("origin %q is not scheme://host[:port]", o)
	}
	if want := serializeOrigin(u); want != o {
		return fmt.Errorf("origin %q is not serialized as browsers send it; did you mean %q?", o, want)
	}
	return nil
}

// serializeOrigin returns the serialization of u's origin: lower-case
// scheme and host, default port omitted, no path.
func serializeOrigin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// hasCredentials reports whether u includes credentials in the URL
// standard's sense: a non-empty username or password.
func hasCredentials(u *url.URL) bool {
	if u.User == nil {
		return false
	}
	p, _ := u.User.Password()
	return u.User.Username() != "" || p != ""
}

// SerializedOrigin returns the value of the Origin header the browser sends
// for r: its Origin, or "null" once a redirect has tainted it.
func (r *Request) SerializedOrigin() string {
	if r.tainted {
		return "null"
	}
	return r.Origin
}

// CrossOrigin reports whether r is subject to the CORS protocol: its URL is
// not same-origin with the page, now or at an earlier hop of its redirect
// chain. Same-origin requests need no preflight and no CORS check.
func (r *Request) CrossOrigin() bool {
	return r.corsTainting || r.Origin == "null" || serializeOrigin(r.URL) != r.Origin
}

// InitialURL returns the URL the request started from, before redirects.
func (r *Request) InitialURL() *url.URL {
	if r.initialURL != nil {
		return r.initialURL
	}
	return r.URL
}

// Redirects returns how many redirects led to r.
func (r *Request) Redirects() int { return r.redirects }

func (r *Request) initiator() Initiator {
	if r.Initiator == "" {
		return Fetch
	}
	return r.Initiator
}

// secFetchSite computes Sec-Fetch-Site over the redirect chain so far.
func (r *Request) secFetchSite() string {
	crossSite, sameSite := r.crossSite, r.sameSite
	switch siteRelation(r.Origin, r.URL) {
	case "cross-site":
		crossSite = true
	case "same-site":
		sameSite = true
	}
	switch {
	case crossSite:
		return "cross-site"
	case sameSite:
		return "same-site"
	}
	return "same-origin"
}

// siteRelation compares the page's origin with a URL as Fetch Metadata
// does: schemeful same-site on the registrable domain.
func siteRelation(origin string, u *url.URL) string {
	if origin == "null" {
		return "cross-site"
	}
	if serializeOrigin(u) == origin {
		return "same-origin"
	}
	o, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(o.Scheme, u.Scheme) {
		return "cross-site"
	}
	if site(o.Hostname()) == site(u.Hostname()) {
		return "same-site"
	}
	return "cross-site"
}

// site returns the registrable domain of host, or host itself for IP
// addresses and names without one.
func site(host string) string {
	host = strings.ToLower(host)
	if net.ParseIP(host) != nil {
		return host
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return s
	}
	return host
}

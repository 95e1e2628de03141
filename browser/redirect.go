package browser

import (
	"net/http"
	"strconv"
)

// MaxRedirects is how many redirects a browser follows; the next one fails.
const MaxRedirects = 20

// unsafeRedirectSchemes are the schemes of the URLs Chrome's network stack
// has a loader for but never redirects to.
var unsafeRedirectSchemes = map[string]bool{"about": true, "blob": true, "data": true, "file": true}

// Redirect applies the Fetch standard's HTTP-redirect fetch to resp, the
// response to req. When resp is not a redirect (a status other than 301,
// 302, 303, 307 or 308, or no Location) it returns nil, nil: resp is the
// final response. Otherwise it returns the request for the Location, or an
// *Error when the browser stops, in Chrome's order: it would be redirect
// number 21, the Location is not a URL, the redirect response fails the
// CORS check (each hop must pass it), the Location is not http(s), or it is
// a cross-origin URL with a username or password. Any other error means req
// is invalid.
//
// The next request is req with the new URL, and: POST becomes GET for 301
// and 302, any method but GET and HEAD becomes GET for 303, and the body
// headers go with the body; Authorization is dropped when the origin
// changes; and the origin is tainted, and then sent as "null", when the
// hop leaves an origin that was not the page's for another origin (A to B
// to C, and A to B to A). The next request may need a preflight of its
// own: ask NeedsPreflight.
func Redirect(req *Request, resp *http.Response) (*Request, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	location := resp.Header.Get("Location")
	if !isRedirectStatus(resp.StatusCode) || location == "" {
		return nil, nil
	}
	status := strconv.Itoa(resp.StatusCode)
	// Chrome's network stack refuses a 21st redirect and a Location that is
	// not a URL before the CORS check runs; the scheme is judged after it.
	next, err := req.URL.Parse(location)
	if err == nil {
		next.Fragment, next.RawFragment = "", ""
		if next.Path == "" && next.Opaque == "" {
			next.Path = "/"
		}
	}
	if req.redirects >= MaxRedirects {
		value := location
		if err == nil {
			value = next.String()
		}
		return nil, req.fail(&failure{code: TooManyRedirects, value: value, ffKey: ffDidNotSucceed, ffArg: status}, resp.StatusCode)
	}
	if err != nil {
		return nil, req.fail(&failure{code: InvalidRedirect, value: location, ffKey: ffDidNotSucceed, ffArg: status}, resp.StatusCode)
	}
	if err := CheckResponse(req, resp); err != nil {
		return nil, err
	}
	if unsafeRedirectSchemes[next.Scheme] {
		return nil, req.fail(&failure{code: UnsafeRedirect, value: next.String(), ffKey: ffRequestNotHTTP}, resp.StatusCode)
	}
	if next.Scheme != "http" && next.Scheme != "https" {
		return nil, req.fail(&failure{code: CorsDisabledScheme, value: next.String(), ffKey: ffRequestNotHTTP}, resp.StatusCode)
	}
	nextOrigin := serializeOrigin(next)
	currentOrigin := serializeOrigin(req.URL)
	if hasCredentials(next) && (req.CrossOrigin() || nextOrigin != req.Origin) {
		return nil, req.fail(&failure{code: RedirectContainsCredentials, value: next.String(), ffKey: ffDidNotSucceed, ffArg: status}, resp.StatusCode)
	}

	n := *req
	n.Header = req.Header.Clone()
	if n.Header == nil {
		n.Header = http.Header{}
	}
	n.initialURL = req.InitialURL()
	n.URL = next
	n.redirects++
	switch rel := siteRelation(req.Origin, req.URL); rel {
	case "cross-site":
		n.crossSite = true
	case "same-site":
		n.sameSite = true
	}
	if code := resp.StatusCode; ((code == 301 || code == 302) && req.Method == http.MethodPost) ||
		(code == 303 && req.Method != http.MethodGet && req.Method != http.MethodHead) {
		n.Method = http.MethodGet
		for _, name := range []string{"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"} {
			n.Header.Del(name)
		}
	}
	if currentOrigin != nextOrigin {
		n.Header.Del("Authorization")
		if req.Origin != currentOrigin {
			n.tainted = true
		}
	}
	// The next URL's own origin is judged by CrossOrigin; this remembers
	// the chain so far.
	n.corsTainting = req.CrossOrigin()
	return &n, nil
}

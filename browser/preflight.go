package browser

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// PreflightRequest returns the OPTIONS request a browser sends before req:
// the same URL (query included), Origin, Access-Control-Request-Method
// (always, even for GET and POST), Access-Control-Request-Headers when req
// has unsafe headers, Accept: */*, Sec-Fetch-Mode: cors, and the other
// Sec-Fetch-* headers when the URL is potentially trustworthy. It never
// carries credentials nor any of req's own headers. It is built whether or
// not NeedsPreflight says one is needed.
func PreflightRequest(req *Request) (*http.Request, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	u := *req.URL
	r, err := http.NewRequest(http.MethodOptions, u.String(), nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Accept", "*/*")
	r.Header.Set("Origin", req.SerializedOrigin())
	r.Header.Set("Access-Control-Request-Method", req.Method)
	if names := UnsafeHeaderNames(req.Header); len(names) > 0 {
		r.Header.Set("Access-Control-Request-Headers", strings.Join(names, ","))
	}
	// Chrome marks every preflight, even where it sends no other Fetch
	// Metadata.
	r.Header.Set("Sec-Fetch-Mode", "cors")
	setFetchMetadata(r.Header, req)
	return r, nil
}

// ActualRequest returns the request a browser sends for req after any
// preflight: req's method, URL and headers, Accept: */* unless req sets
// Accept, Origin when req is cross-origin or its method is neither GET
// nor HEAD, and the Sec-Fetch-* headers when the URL is potentially
// trustworthy. It has no body; set one if the server needs it. A Client
// sends no cookies, so with Credentials only the CORS rules change.
func ActualRequest(req *Request) (*http.Request, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	r, err := http.NewRequest(req.Method, req.URL.String(), nil)
	if err != nil {
		return nil, err
	}
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	// Several values of one name travel as one line, as browsers send them.
	for name, values := range r.Header {
		if len(values) > 1 {
			r.Header[name] = []string{strings.Join(values, ", ")}
		}
	}
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "*/*")
	}
	if req.CrossOrigin() || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
		r.Header.Set("Origin", req.SerializedOrigin())
	}
	setFetchMetadata(r.Header, req)
	return r, nil
}

// setFetchMetadata adds the Sec-Fetch-* headers of a fetch() request, which
// CSRF defences such as Crossgate's fetch-metadata mode rely on. Browsers
// send them only to a potentially trustworthy URL: https, or http to
// localhost or a loopback address. Elsewhere a CSRF defence has only the
// Origin header to go on.
func setFetchMetadata(h http.Header, req *Request) {
	if !potentiallyTrustworthy(req.URL) {
		return
	}
	h.Set("Sec-Fetch-Mode", "cors")
	h.Set("Sec-Fetch-Site", req.secFetchSite())
	h.Set("Sec-Fetch-Dest", "empty")
}

// CheckPreflight validates resp, the response to req's preflight, as
// Chrome does and in Chrome's order: a redirect fails; then the CORS check
// with req's credentials mode (so a credentialed request's preflight needs
// the exact origin and Access-Control-Allow-Credentials: true although the
// preflight carries no credentials); a status outside 200-299 fails;
// Access-Control-Allow-Methods and -Headers must parse as token lists;
// req's method must be safelisted, listed byte-exact, or covered by "*"
// without credentials; and each unsafe header name of req must be listed
// in any case, or covered by "*" without credentials. "*" covers
// Authorization too: the Fetch standard says it never does, but Chrome
// (156) lets it, and Firefox lets it with a deprecation warning.
//
// It returns nil when the actual request may be sent, an *Error when the
// browser blocks it, and any other error when req is invalid.
func CheckPreflight(req *Request, resp *http.Response) error {
	if err := req.validate(); err != nil {
		return err
	}
	status := resp.StatusCode
	statusText := strconv.Itoa(status)
	if location := resp.Header.Get("Location"); isRedirectStatus(status) && location != "" {
		return req.fail(&failure{code: PreflightDisallowedRedirect, value: location, ffKey: ffExternalRedirect}, status)
	}
	ok := 200 <= status && status <= 299
	if f := corsCheck(req, resp.Header); f != nil {
		f.code = preflightCode[f.code]
		switch {
		case !ok:
			// Firefox looks at the status first.
			f.ffKey, f.ffArg = ffPreflightDidNotSucceed, statusText
		case f.ffKey == ffMissingAllowOrigin:
			f.ffArg = statusText
		}
		return req.fail(f, status)
	}
	if !ok {
		return req.fail(&failure{code: PreflightInvalidStatus, ffKey: ffPreflightDidNotSucceed, ffArg: statusText}, status)
	}
	acam := resp.Header.Values("Access-Control-Allow-Methods")
	methods, bad, parsed := parseList(acam)
	if !parsed {
		return req.fail(&failure{code: InvalidAllowMethodsPreflightResponse, value: joinTrimmed(acam), ffKey: ffInvalidAllowMethod, ffArg: bad}, status)
	}
	acah := resp.Header.Values("Access-Control-Allow-Headers")
	headers, bad, parsed := parseList(acah)
	if !parsed {
		return req.fail(&failure{code: InvalidAllowHeadersPreflightResponse, value: joinTrimmed(acah), ffKey: ffInvalidAllowHeader, ffArg: bad}, status)
	}
	wildcard := !req.Credentials
	if !isSafelistedMethod(req.Method) && !slices.Contains(methods, req.Method) &&
		!(wildcard && slices.Contains(methods, "*")) {
		return req.fail(&failure{code: MethodDisallowedByPreflightResponse, value: req.Method, ffKey: ffMethodNotFound, allowed: methods}, status)
	}
	var missing []string
	for _, name := range UnsafeHeaderNames(req.Header) {
		if containsFold(headers, name) {
			continue
		}
		if wildcard && slices.Contains(headers, "*") {
			continue
		}
		missing = append(missing, name)
	}
	if len(missing) > 0 {
		return req.fail(&failure{code: HeaderDisallowedByPreflightResponse, value: missing[0], ffKey: ffMissingAllowHeader, ffArg: missing[0], allowed: headers, missing: missing}, status)
	}
	return nil
}

// preflightCode maps a CORS check failure to its preflight name.
var preflightCode = map[Code]Code{
	MissingAllowOriginHeader:  PreflightMissingAllowOriginHeader,
	MultipleAllowOriginValues: PreflightMultipleAllowOriginValues,
	InvalidAllowOriginValue:   PreflightInvalidAllowOriginValue,
	AllowOriginMismatch:       PreflightAllowOriginMismatch,
	WildcardOriginNotAllowed:  PreflightWildcardOriginNotAllowed,
	InvalidAllowCredentials:   PreflightInvalidAllowCredentials,
}

// isRedirectStatus reports the redirect statuses of the Fetch standard.
func isRedirectStatus(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// potentiallyTrustworthy reports whether u is a potentially trustworthy URL
// (Secure Contexts): https, or a host that is localhost, a name under
// .localhost, or a loopback address.
func potentiallyTrustworthy(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

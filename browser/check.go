package browser

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/fetch"
)

// failure is a failed check before it is written up as an *Error.
type failure struct {
	code Code
	// value is the offending value Chrome quotes.
	value string
	// ffKey and ffArg select Firefox's message.
	ffKey, ffArg string
	// allowed and missing give the explanation its context: the methods or
	// header names the preflight allowed, and the ones it should have.
	allowed, missing []string
}

// CheckResponse runs the Fetch standard's CORS check on resp, the response
// to req: the actual response, or a redirect response of its chain (which
// Redirect checks too). It returns nil when a script may read resp, or
// when req is same-origin; an *Error when the browser blocks it; and any
// other error when req is invalid (see NewRequest).
//
// The check: exactly one Access-Control-Allow-Origin value, "*" (not with
// credentials) or byte-equal to the request's serialized origin ("null"
// after a tainting redirect), surrounding spaces and tabs aside; and with
// credentials, Access-Control-Allow-Credentials exactly "true". Any status
// passes.
func CheckResponse(req *Request, resp *http.Response) error {
	if err := req.validate(); err != nil {
		return err
	}
	if !req.CrossOrigin() {
		return nil
	}
	if f := corsCheck(req, resp.Header); f != nil {
		if f.ffKey == ffMissingAllowOrigin {
			f.ffArg = strconv.Itoa(resp.StatusCode)
		}
		return req.fail(f, resp.StatusCode)
	}
	return nil
}

// corsCheck is the CORS check, reporting failures as Chrome classifies
// them (cors.cc, CheckAccess) and choosing Firefox's message as Firefox's
// nsCORSListenerProxy does.
func corsCheck(req *Request, h http.Header) *failure {
	lines := h.Values("Access-Control-Allow-Origin")
	if len(lines) == 0 {
		return &failure{code: MissingAllowOriginHeader, ffKey: ffMissingAllowOrigin}
	}
	value := joinTrimmed(lines)
	// Firefox counts header lines; Chrome sees them joined by ", ".
	ffKey := ffAllowOriginNotMatching
	if len(lines) > 1 {
		ffKey = ffMultipleAllowOrigin
	}
	if value == "*" {
		if req.Credentials {
			return &failure{code: WildcardOriginNotAllowed, value: value, ffKey: ffNotSupportingCredential}
		}
		return nil
	}
	if strings.ContainsAny(value, " ,") {
		return &failure{code: MultipleAllowOriginValues, value: value, ffKey: ffKey, ffArg: value}
	}
	if value != "null" && !isURL(value) {
		return &failure{code: InvalidAllowOriginValue, value: value, ffKey: ffKey, ffArg: value}
	}
	if value != req.SerializedOrigin() {
		return &failure{code: AllowOriginMismatch, value: value, ffKey: ffKey, ffArg: value}
	}
	if !req.Credentials {
		return nil
	}
	if acac := joinTrimmed(h.Values("Access-Control-Allow-Credentials")); acac != "true" {
		return &failure{code: InvalidAllowCredentials, value: acac, ffKey: ffMissingAllowCredentials}
	}
	return nil
}

// joinTrimmed combines header lines as the Fetch standard's "get" does,
// after stripping the whitespace that HTTP parsing strips.
func joinTrimmed(lines []string) string {
	if len(lines) == 1 {
		return strings.Trim(lines[0], " \t")
	}
	trimmed := make([]string, len(lines))
	for i, l := range lines {
		trimmed[i] = strings.Trim(l, " \t")
	}
	return strings.Join(trimmed, ", ")
}

// isURL approximates Chrome's test of whether an Access-Control-Allow-Origin
// value parses as a URL: it must have a scheme.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

// ExposedHeaders returns the canonical names of the headers of resp that a
// script may read with response.headers.get: the CORS-safelisted response
// headers, the names listed in Access-Control-Expose-Headers (in any
// case), and all of them when the list holds "*" and req carries no
// credentials. Set-Cookie and Set-Cookie2 are never readable. For a
// same-origin request every other header is readable. An
// Access-Control-Expose-Headers value that does not parse exposes nothing.
// The names are sorted.
func ExposedHeaders(req *Request, resp *http.Response) []string {
	var listed []string
	star := false
	if req.CrossOrigin() {
		if items, _, ok := parseList(resp.Header.Values("Access-Control-Expose-Headers")); ok {
			listed = items
		}
		star = !req.Credentials && slices.Contains(listed, "*")
	} else {
		star = true
	}
	var names []string
	for name := range resp.Header {
		lower := strings.ToLower(name)
		if lower == "set-cookie" || lower == "set-cookie2" {
			continue
		}
		if star || fetch.SafelistedResponseHeader(lower) || containsFold(listed, lower) {
			names = append(names, http.CanonicalHeaderKey(name))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// containsFold reports whether list holds s in any case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// parseList splits the values of a header whose grammar is a
// comma-separated list of tokens (#method, #field-name) as Chrome does:
// elements are trimmed of spaces and tabs, empty ones skipped, and any
// other element that is not a token makes the whole list fail; bad is
// then that element.
func parseList(lines []string) (items []string, bad string, ok bool) {
	for _, line := range lines {
		for item := range strings.SplitSeq(line, ",") {
			item = strings.Trim(item, " \t")
			if item == "" {
				continue
			}
			if !fetch.IsToken(item) {
				return nil, item, false
			}
			items = append(items, item)
		}
	}
	return items, "", true
}

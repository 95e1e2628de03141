package browser

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// fail writes f up as the *Error a developer reads.
func (r *Request) fail(f *failure, status int) *Error {
	e := &Error{
		Code:    f.code,
		Message: chromeMessage(r, f.code, f.value),
		URL:     r.URL.String(),
		Status:  status,
		Value:   f.value,
	}
	ffArg := f.ffArg
	if ffArg == "" && (f.ffKey == ffDidNotSucceed || f.ffKey == ffMissingAllowOrigin || f.ffKey == ffPreflightDidNotSucceed) {
		ffArg = strconv.Itoa(status)
	}
	e.FirefoxKey = f.ffKey
	e.FirefoxMessage = firefoxMessage(f.ffKey, r.URL.String(), ffArg)
	e.Cause, e.Fix, e.Config = r.explain(f, status)
	return e
}

// explain returns the cause, the fix and the Crossgate policy settings of
// a failure.
func (r *Request) explain(f *failure, status int) (cause, fix, config string) {
	origin := r.SerializedOrigin()
	what := "The response"
	if f.code.Preflight() {
		what = "The preflight response (OPTIONS " + r.URL.RequestURI() + ")"
	} else if status >= 300 && status < 400 {
		what = fmt.Sprintf("The %d redirect response", status)
	}
	taintNote := ""
	if r.tainted {
		taintNote = fmt.Sprintf(" The request was redirected from %s to another origin and on, so the browser now sends Origin: null.", r.InitialURL())
	}
	switch f.code {
	case MissingAllowOriginHeader, PreflightMissingAllowOriginHeader:
		cause = what + " has no Access-Control-Allow-Origin header, so the browser does not let the page read it."
		switch {
		case f.code.Preflight() && (status < 200 || status > 299):
			cause += fmt.Sprintf(" It has status %d: the server probably passes OPTIONS to an application that does not handle it, or an authentication layer refuses the preflight, which never carries cookies or Authorization.", status)
		case status >= 400:
			cause += fmt.Sprintf(" It is a %d error without CORS headers: error responses need them too, or the page sees a CORS error instead of the real one.", status)
		}
		cause += taintNote
		fix, config = r.fixAll(f.code.Preflight())
	case MultipleAllowOriginValues, PreflightMultipleAllowOriginValues:
		cause = fmt.Sprintf("%s has Access-Control-Allow-Origin %q: more than one value, or more than one header line. Browsers accept exactly one origin; two lines usually mean that both the application and a proxy or gateway add CORS headers.", what, f.value)
		fix, config = r.fixOrigin()
		fix += " Let only one layer set CORS headers."
		config += "\nmode: gateway"
	case InvalidAllowOriginValue, PreflightInvalidAllowOriginValue:
		cause = fmt.Sprintf("%s has Access-Control-Allow-Origin %q, which is not an origin: the value must be *, null or an origin exactly as the browser sends it (scheme://host[:port], no path, no quotes).", what, f.value)
		fix, config = r.fixOrigin()
	case AllowOriginMismatch, PreflightAllowOriginMismatch:
		cause = fmt.Sprintf("%s allows the origin %q but the request comes from %q; browsers compare the two byte for byte.", what, f.value, origin)
		switch {
		case strings.TrimSuffix(f.value, "/") == origin:
			cause += " The trailing slash makes them differ."
		case strings.EqualFold(f.value, origin):
			cause += " Letter case makes them differ."
		case f.value == "null":
			cause += " null only matches pages with an opaque origin."
		}
		cause += taintNote
		fix, config = r.fixOrigin()
	case WildcardOriginNotAllowed, PreflightWildcardOriginNotAllowed:
		cause = what + " has Access-Control-Allow-Origin: *, which browsers refuse for a request with credentials (fetch's credentials: \"include\", XMLHttpRequest's withCredentials)."
		fix, config = r.fixOrigin()
		fix += " Or send the request without credentials."
	case InvalidAllowCredentials, PreflightInvalidAllowCredentials:
		if f.value == "" {
			cause = what + " has no Access-Control-Allow-Credentials header, which a request with credentials needs."
		} else {
			cause = fmt.Sprintf("%s has Access-Control-Allow-Credentials %q; a request with credentials needs exactly true, in lower case.", what, f.value)
		}
		if f.code.Preflight() {
			cause += " The preflight itself carries no credentials, but it is checked with the actual request's credentials mode."
		}
		fix, config = "Send Access-Control-Allow-Credentials: true.", "allow_credentials: true"
	case PreflightInvalidStatus:
		cause = fmt.Sprintf("The preflight (OPTIONS %s) got status %d; a preflight needs a 2xx status (204 is usual). Common causes: the application answers OPTIONS with 404 or 405, or an authentication layer answers 401 or 403, because the preflight never carries cookies or Authorization.", r.URL.RequestURI(), status)
		fix, config = r.fixAll(true)
	case PreflightDisallowedRedirect:
		cause = fmt.Sprintf("The preflight (OPTIONS %s) was answered with a %d redirect to %s; browsers never follow redirects for a preflight. Typical sources: a trailing-slash redirect or an http to https redirect.", r.URL.RequestURI(), status, f.value)
		fix = "Call the final URL from the page, or answer the OPTIONS request at this URL without redirecting: " + r.preflightAnswer() + "."
		_, config = r.fixAll(true)
	case MethodDisallowedByPreflightResponse:
		cause = fmt.Sprintf("The page sends a %s request, and the preflight's Access-Control-Allow-Methods (%s) does not allow it; methods are compared case-sensitively.", r.Method, listOrNone(f.allowed))
		if r.Credentials && slices.Contains(f.allowed, "*") {
			cause += " With credentials, * does not mean every method."
		}
		fix = "Send Access-Control-Allow-Methods: " + strings.Join(appendMissing(f.allowed, r.Method), ", ") + " on the preflight response."
		config = "allow_methods: " + yamlList(appendMissing(withoutStar(f.allowed, r.Credentials), r.Method))
	case HeaderDisallowedByPreflightResponse:
		cause = fmt.Sprintf("The page sends the request header %s, which is not CORS-safelisted, and the preflight's Access-Control-Allow-Headers (%s) does not allow it.", strings.Join(f.missing, ", "), listOrNone(f.allowed))
		if r.Credentials && slices.Contains(f.allowed, "*") {
			cause += " With credentials, * does not mean every header."
		}
		names := canonicalNames(f.missing)
		fix = "Send Access-Control-Allow-Headers: " + strings.Join(appendMissing(f.allowed, names...), ", ") + " on the preflight response."
		config = "allow_headers: " + yamlList(appendMissing(withoutStar(f.allowed, r.Credentials), names...))
	case InvalidAllowMethodsPreflightResponse, InvalidAllowHeadersPreflightResponse:
		header := "Access-Control-Allow-Methods"
		example := "GET, POST, PUT"
		if f.code == InvalidAllowHeadersPreflightResponse {
			header, example = "Access-Control-Allow-Headers", "Content-Type, X-Request-Id"
		}
		cause = fmt.Sprintf("The preflight's %s is %q, and %q in it is not a token; the value must be a comma-separated list of names, and one bad item fails the whole preflight.", header, f.value, f.ffArg)
		fix = fmt.Sprintf("Send %s as a comma-separated list of bare names, e.g. %s: %s.", header, header, example)
	case RedirectContainsCredentials:
		cause = fmt.Sprintf("The response redirects to %s, a URL with a username or password; browsers refuse such redirects for cross-origin requests.", f.value)
		fix = "Redirect to the URL without user:password@, and pass credentials in a header or a cookie."
	case CorsDisabledScheme, UnsafeRedirect:
		cause = fmt.Sprintf("The response redirects to %s; CORS requests only go to http and https URLs.", f.value)
		fix = "Redirect to an https URL."
	case TooManyRedirects:
		cause = fmt.Sprintf("The request was redirected %d times, the most browsers follow, and the response redirects again.", MaxRedirects)
		fix = "Fix the redirect loop, or call the final URL from the page."
	case InvalidRedirect:
		cause = fmt.Sprintf("The response redirects to %q, which is not a URL.", f.value)
		fix = "Send a valid absolute or relative URL in Location."
	}
	return cause, fix, config
}

// fixOrigin returns the Access-Control-Allow-Origin (and -Credentials) the
// request needs.
func (r *Request) fixOrigin() (fix, config string) {
	origin := r.SerializedOrigin()
	if origin == "null" {
		if r.Credentials {
			return "Avoid the cross-origin redirect (call the final URL from the page): a request with credentials and Origin: null can only pass with Access-Control-Allow-Origin: null and Access-Control-Allow-Credentials: true, which would trust every sandboxed page.", ""
		}
		if r.tainted {
			return "Send Access-Control-Allow-Origin: * from the final server, or call the final URL from the page so that the real origin is sent.", `allow_origins: ["*"]`
		}
		return `Send Access-Control-Allow-Origin: * (or null, which every sandboxed page can send).`, `allow_origins: ["*"]`
	}
	fix = "Send exactly one Access-Control-Allow-Origin: " + origin
	config = "allow_origins: [" + origin + "]"
	if r.Credentials {
		fix += " with Access-Control-Allow-Credentials: true"
		config += "\nallow_credentials: true"
	}
	fix += ", and Vary: Origin when the value depends on the request."
	return fix, config
}

// fixAll returns the complete set of headers a passing response needs.
func (r *Request) fixAll(preflight bool) (fix, config string) {
	fix, config = r.fixOrigin()
	if !preflight {
		return "On every response of this resource, errors and redirects included: " + fix, config
	}
	fix = "Answer the preflight with " + r.preflightAnswer() + "."
	if !isSafelistedMethod(r.Method) {
		config += "\nallow_methods: " + yamlList([]string{r.Method})
	}
	if names := UnsafeHeaderNames(r.Header); len(names) > 0 {
		config += "\nallow_headers: " + yamlList(canonicalNames(names))
	}
	if r.SerializedOrigin() == "null" && r.Credentials {
		config = ""
	}
	return fix, config
}

// preflightAnswer lists the status and headers of a passing preflight
// response for r.
func (r *Request) preflightAnswer() string {
	origin := r.SerializedOrigin()
	if origin == "null" && !r.Credentials {
		origin = "*"
	}
	parts := []string{"204", "Access-Control-Allow-Origin: " + origin}
	if r.Credentials {
		parts = append(parts, "Access-Control-Allow-Credentials: true")
	}
	if !isSafelistedMethod(r.Method) {
		parts = append(parts, "Access-Control-Allow-Methods: "+r.Method)
	}
	if names := UnsafeHeaderNames(r.Header); len(names) > 0 {
		parts = append(parts, "Access-Control-Allow-Headers: "+strings.Join(canonicalNames(names), ", "))
	}
	return strings.Join(parts, ", ")
}

// canonicalNames writes header names as people write them in configs.
func canonicalNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// appendMissing adds to list the names it lacks in any case.
func appendMissing(list []string, names ...string) []string {
	out := slices.Clone(list)
	for _, n := range names {
		if !containsFold(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// withoutStar drops "*" from a list when credentials make it useless, since
// a Crossgate policy refuses "*" together with credentials.
func withoutStar(list []string, credentials bool) []string {
	if !credentials {
		return list
	}
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == "*" })
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "absent"
	}
	return strings.Join(list, ", ")
}

// yamlList writes a YAML flow sequence, quoting items that YAML would read
// otherwise.
func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		if isPlainYAML(s) {
			quoted[i] = s
		} else {
			quoted[i] = strconv.Quote(s)
		}
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func isPlainYAML(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && strings.IndexByte("-_.", s[i]) < 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

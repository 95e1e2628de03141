package browser

import (
	"fmt"
	"strings"
)

// Code names a CORS failure. CORS failures use the name Chrome's DevTools
// shows (network.mojom.CorsError); the failures of redirect handling that
// Chrome reports as network errors have names of their own.
type Code string

// Failures of the CORS check, on an actual response or a redirect.
const (
	MissingAllowOriginHeader  Code = "MissingAllowOriginHeader"
	MultipleAllowOriginValues Code = "MultipleAllowOriginValues"
	InvalidAllowOriginValue   Code = "InvalidAllowOriginValue"
	AllowOriginMismatch       Code = "AllowOriginMismatch"
	WildcardOriginNotAllowed  Code = "WildcardOriginNotAllowed"
	InvalidAllowCredentials   Code = "InvalidAllowCredentials"
)

// Failures of a preflight response.
const (
	PreflightMissingAllowOriginHeader    Code = "PreflightMissingAllowOriginHeader"
	PreflightMultipleAllowOriginValues   Code = "PreflightMultipleAllowOriginValues"
	PreflightInvalidAllowOriginValue     Code = "PreflightInvalidAllowOriginValue"
	PreflightAllowOriginMismatch         Code = "PreflightAllowOriginMismatch"
	PreflightWildcardOriginNotAllowed    Code = "PreflightWildcardOriginNotAllowed"
	PreflightInvalidAllowCredentials     Code = "PreflightInvalidAllowCredentials"
	PreflightInvalidStatus               Code = "PreflightInvalidStatus"
	PreflightDisallowedRedirect          Code = "PreflightDisallowedRedirect"
	InvalidAllowMethodsPreflightResponse Code = "InvalidAllowMethodsPreflightResponse"
	InvalidAllowHeadersPreflightResponse Code = "InvalidAllowHeadersPreflightResponse"
	MethodDisallowedByPreflightResponse  Code = "MethodDisallowedByPreflightResponse"
	HeaderDisallowedByPreflightResponse  Code = "HeaderDisallowedByPreflightResponse"
)

// Failures of redirect handling.
const (
	// RedirectContainsCredentials: a cross-origin Location with a username
	// or password.
	RedirectContainsCredentials Code = "RedirectContainsCredentials"
	// CorsDisabledScheme: a Location whose scheme is not http or https,
	// nor one of UnsafeRedirect's.
	CorsDisabledScheme Code = "CorsDisabledScheme"
	// UnsafeRedirect: a Location whose scheme is about, blob, data or file.
	// Chrome reports it as net::ERR_UNSAFE_REDIRECT.
	UnsafeRedirect Code = "UnsafeRedirect"
	// TooManyRedirects: a 21st redirect. Chrome reports it as
	// net::ERR_TOO_MANY_REDIRECTS, not as a CORS error.
	TooManyRedirects Code = "TooManyRedirects"
	// InvalidRedirect: a Location that is not a URL. Chrome reports it as
	// net::ERR_INVALID_REDIRECT.
	InvalidRedirect Code = "InvalidRedirect"
)

// Preflight reports whether c is a failure of a preflight response.
func (c Code) Preflight() bool {
	return strings.HasPrefix(string(c), "Preflight") || strings.HasSuffix(string(c), "PreflightResponse")
}

// Error is a request blocked by the browser. Its JSON form is the "error"
// object of crossgate check --json.
type Error struct {
	// Code is DevTools' name for the failure.
	Code Code `json:"code"`
	// Message is Chrome's console message, filled in.
	Message string `json:"message"`
	// FirefoxKey names Firefox's message (security.properties); MDN
	// documents it at Web/HTTP/Guides/CORS/Errors/<key without its digit>.
	FirefoxKey string `json:"firefox_key"`
	// FirefoxMessage is Firefox's console message, filled in. Firefox
	// checks in its own order, so it can name another failure of the same
	// response.
	FirefoxMessage string `json:"firefox_message"`
	// Cause says in plain words what went wrong.
	Cause string `json:"cause"`
	// Fix names the exact header and value the server should send.
	Fix string `json:"fix"`
	// Config is the Crossgate policy setting that sends the fix, one YAML
	// line per setting, or "" when no setting does.
	Config string `json:"config,omitempty"`
	// URL is the URL whose response failed.
	URL string `json:"url"`
	// Status is the status of the failing response.
	Status int `json:"status,omitempty"`
	// Value is the offending value: a header value, a method, a header
	// name or a Location, as the browser quotes it.
	Value string `json:"value,omitempty"`
}

// Error returns Chrome's console message.
func (e *Error) Error() string { return e.Message }

// Chrome's fixed texts.
const (
	chromePreflightPrefix = "Response to preflight request doesn't pass access control check: "
	chromeValidValueHint  = " Have the server send the header with a valid value."
	chromeXHRCredentials  = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
	chromeSchemes         = "chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app"
)

// chromeReason returns Chrome's text for code after the common prefix.
func chromeReason(code Code, value string, xhr bool) string {
	v := escapeHint(value)
	var credentialsHint, validHint string
	if xhr {
		credentialsHint = chromeXHRCredentials
	} else {
		validHint = chromeValidValueHint
	}
	switch code {
	case MissingAllowOriginHeader, PreflightMissingAllowOriginHeader:
		return "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	case MultipleAllowOriginValues, PreflightMultipleAllowOriginValues:
		return "The 'Access-Control-Allow-Origin' header contains multiple values '" + v + "', but only one is allowed." + validHint
	case InvalidAllowOriginValue, PreflightInvalidAllowOriginValue:
		return "The 'Access-Control-Allow-Origin' header contains the invalid value '" + v + "'." + validHint
	case AllowOriginMismatch, PreflightAllowOriginMismatch:
		return "The 'Access-Control-Allow-Origin' header has a value '" + v + "' that is not equal to the supplied origin." + validHint
	case WildcardOriginNotAllowed, PreflightWildcardOriginNotAllowed:
		return "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'." + credentialsHint
	case InvalidAllowCredentials, PreflightInvalidAllowCredentials:
		return "The value of the 'Access-Control-Allow-Credentials' header in the response is '" + v + "' which must be 'true' when the request's credentials mode is 'include'." + credentialsHint
	case PreflightInvalidStatus:
		return "It does not have HTTP ok status."
	case PreflightDisallowedRedirect:
		return "Redirect is not allowed for a preflight request."
	case MethodDisallowedByPreflightResponse:
		return "Method " + v + " is not allowed by Access-Control-Allow-Methods in preflight response."
	case HeaderDisallowedByPreflightResponse:
		return "Request header field " + v + " is not allowed by Access-Control-Allow-Headers in preflight response."
	case InvalidAllowMethodsPreflightResponse:
		return "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
	case InvalidAllowHeadersPreflightResponse:
		return "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
	case RedirectContainsCredentials:
		// Chrome (156) leaves the location out of its message; Error.Value
		// and the cause name it.
		return "Redirect location '' contains a username and password, which is disallowed for cross-origin requests."
	case CorsDisabledScheme:
		return "Cross origin requests are only supported for protocol schemes: " + chromeSchemes + "."
	}
	return "The response is invalid."
}

// hasChromePrefix reports the codes whose reason Chrome introduces with
// "Response to preflight request doesn't pass access control check: ".
func hasChromePrefix(code Code) bool {
	switch code {
	case PreflightMissingAllowOriginHeader, PreflightMultipleAllowOriginValues,
		PreflightInvalidAllowOriginValue, PreflightAllowOriginMismatch,
		PreflightWildcardOriginNotAllowed, PreflightInvalidAllowCredentials,
		PreflightInvalidStatus, PreflightDisallowedRedirect:
		return true
	}
	return false
}

// chromeMessage fills in Chrome's console template.
func chromeMessage(req *Request, code Code, value string) string {
	switch code {
	case TooManyRedirects:
		return req.Method + " " + req.URL.String() + " net::ERR_TOO_MANY_REDIRECTS"
	case InvalidRedirect:
		return req.Method + " " + req.URL.String() + " net::ERR_INVALID_REDIRECT"
	case UnsafeRedirect:
		return req.Method + " " + req.URL.String() + " net::ERR_UNSAFE_REDIRECT"
	}
	// Chrome names the URL it refused to go to when the scheme is wrong,
	// the URL of the response otherwise.
	at := req.URL.String()
	if code == CorsDisabledScheme {
		at = value
	}
	var b strings.Builder
	b.WriteString("Access to ")
	b.WriteString(string(req.initiator()))
	b.WriteString(" at '")
	b.WriteString(at)
	b.WriteString("' ")
	if initial := req.InitialURL().String(); initial != at {
		b.WriteString("(redirected from '")
		b.WriteString(initial)
		b.WriteString("') ")
	}
	b.WriteString("from origin '")
	b.WriteString(req.Origin)
	b.WriteString("' has been blocked by CORS policy: ")
	if hasChromePrefix(code) {
		b.WriteString(chromePreflightPrefix)
	}
	b.WriteString(chromeReason(code, value, req.initiator() == XMLHttpRequest))
	return b.String()
}

// escapeHint writes control bytes as \uXXXX, as recent Chrome builds do.
func escapeHint(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, `\u%04X`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Firefox's message keys.
const (
	ffMissingAllowOrigin      = "CORSMissingAllowOrigin2"
	ffMultipleAllowOrigin     = "CORSMultipleAllowOriginNotAllowed"
	ffAllowOriginNotMatching  = "CORSAllowOriginNotMatchingOrigin"
	ffNotSupportingCredential = "CORSNotSupportingCredentials"
	ffMissingAllowCredentials = "CORSMissingAllowCredentials"
	ffPreflightDidNotSucceed  = "CORSPreflightDidNotSucceed3"
	ffExternalRedirect        = "CORSExternalRedirectNotAllowed"
	ffMethodNotFound          = "CORSMethodNotFound"
	ffMissingAllowHeader      = "CORSMissingAllowHeaderFromPreflight2"
	ffInvalidAllowMethod      = "CORSInvalidAllowMethod"
	ffInvalidAllowHeader      = "CORSInvalidAllowHeader"
	ffDidNotSucceed           = "CORSDidNotSucceed2"
	ffRequestNotHTTP          = "CORSRequestNotHttp"
)

// firefoxMessage fills in Firefox's message for key; arg is the key's
// second parameter (a status, a value or a name).
func firefoxMessage(key, url, arg string) string {
	const blocked = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
	var reason string
	switch key {
	case ffMissingAllowOrigin:
		reason = "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: " + arg + "."
	case ffMultipleAllowOrigin:
		reason = "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed)."
	case ffAllowOriginNotMatching:
		reason = "CORS header ‘Access-Control-Allow-Origin’ does not match ‘" + arg + "’)."
	case ffNotSupportingCredential:
		return blocked + "‘" + url + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’)."
	case ffMissingAllowCredentials:
		reason = "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’)."
	case ffPreflightDidNotSucceed:
		reason = "CORS preflight response did not succeed). Status code: " + arg + "."
	case ffExternalRedirect:
		reason = "CORS request external redirect not allowed)."
	case ffMethodNotFound:
		reason = "Did not find method in CORS header ‘Access-Control-Allow-Methods’)."
	case ffMissingAllowHeader:
		reason = "header ‘" + arg + "’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response)."
	case ffInvalidAllowMethod:
		reason = "invalid token ‘" + arg + "’ in CORS header ‘Access-Control-Allow-Methods’)."
	case ffInvalidAllowHeader:
		reason = "invalid token ‘" + arg + "’ in CORS header ‘Access-Control-Allow-Headers’)."
	case ffRequestNotHTTP:
		reason = "CORS request not http)."
	default:
		reason = "CORS request did not succeed). Status code: " + arg + "."
	}
	return blocked + url + ". (Reason: " + reason
}

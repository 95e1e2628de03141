// Package fetch holds the Fetch standard's lists of methods and header
// names that both sides of CORS consult: the policy (cors), the browser's
// half (browser) and the config audit (lint). One list each, so that the
// three never disagree.
package fetch

import "strings"

// ForbiddenMethod reports CONNECT, TRACE and TRACK, in any case: browsers
// never send them.
func ForbiddenMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "CONNECT", "TRACE", "TRACK":
		return true
	}
	return false
}

// NormalizedMethod reports the methods browsers upper-case before sending
// (DELETE, GET, HEAD, OPTIONS, POST, PUT), in any case.
func NormalizedMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return true
	}
	return false
}

// forbiddenRequestHeaders are the forbidden request-header names, lower case.
var forbiddenRequestHeaders = map[string]bool{
	"accept-charset": true, "accept-encoding": true,
	"access-control-request-headers": true, "access-control-request-method": true,
	"connection": true, "content-length": true, "cookie": true, "cookie2": true,
	"date": true, "dnt": true, "expect": true, "host": true, "keep-alive": true,
	"origin": true, "referer": true, "set-cookie": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "via": true,
}

// ForbiddenRequestHeaderName reports a header name, in any case, that
// scripts can never set: the Fetch standard's list and any name starting
// with Proxy- or Sec-. (The method-override headers are forbidden only for
// some values; see ForbiddenRequestHeader.)
func ForbiddenRequestHeaderName(name string) bool {
	n := strings.ToLower(name)
	return forbiddenRequestHeaders[n] || strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-")
}

// ForbiddenRequestHeader implements the Fetch standard's "forbidden
// request-header": a forbidden name, or a method-override header
// (X-HTTP-Method, X-HTTP-Method-Override, X-Method-Override) whose value
// lists a forbidden method.
func ForbiddenRequestHeader(name string, values []string) bool {
	if ForbiddenRequestHeaderName(name) {
		return true
	}
	switch strings.ToLower(name) {
	case "x-http-method", "x-http-method-override", "x-method-override":
		for _, v := range values {
			for m := range strings.SplitSeq(v, ",") {
				if ForbiddenMethod(strings.Trim(m, " \t")) {
					return true
				}
			}
		}
	}
	return false
}

// safelistedResponseHeaders are the CORS-safelisted response-header names.
var safelistedResponseHeaders = map[string]bool{
	"cache-control": true, "content-language": true, "content-length": true,
	"content-type": true, "expires": true, "last-modified": true, "pragma": true,
}

// SafelistedResponseHeader reports, in any case, the response headers
// scripts can always read.
func SafelistedResponseHeader(name string) bool {
	return safelistedResponseHeaders[strings.ToLower(name)]
}

// IsToken reports whether s is a non-empty RFC 9110 token, the syntax of
// methods and header names.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// IsTchar reports whether c may appear in a token.
func IsTchar(c byte) bool { return tchar[c] }

var tchar = [256]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true,
	'+': true, '-': true, '.': true, '^': true, '_': true, '`': true, '|': true, '~': true,
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true, 'H': true, 'I': true,
	'J': true, 'K': true, 'L': true, 'M': true, 'N': true, 'O': true, 'P': true, 'Q': true, 'R': true,
	'S': true, 'T': true, 'U': true, 'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true,
	'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true, 'q': true, 'r': true,
	's': true, 't': true, 'u': true, 'v': true, 'w': true, 'x': true, 'y': true, 'z': true,
}

// VaryNames reports whether the Vary header lines name the header name, in
// any case, or are "*": whether a cache keys the response on it.
func VaryNames(lines []string, name string) bool {
	for _, l := range lines {
		for v := range strings.SplitSeq(l, ",") {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, name) || v == "*" {
				return true
			}
		}
	}
	return false
}

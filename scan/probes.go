// Package scan probes a live endpoint for CORS misconfigurations: it sends
// the Origin values that misconfiguration scanners use (Corsy, CORScanner,
// nuclei's cors-misconfig template), built from the endpoint's own host,
// and reports every origin the endpoint trusts that it should not.
package scan

import (
	"net"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Classes of findings. Their names are stable.
const (
	ClassOriginReflection    = "origin-reflection"    // any origin is echoed
	ClassNullOrigin          = "null-origin"          // Origin: null is trusted
	ClassPrefixMatch         = "prefix-match"         // the site's host followed by another domain
	ClassSuffixMatch         = "suffix-match"         // another name that ends with the site's domain
	ClassSubstringMatch      = "substring-match"      // a part of the site's domain
	ClassUnescapedDot        = "unescaped-dot"        // a regex whose "." matches any character
	ClassAnySubdomain        = "any-subdomain"        // every subdomain of the site's host
	ClassHTTPOrigin          = "http-origin"          // the http:// origin of an https site
	ClassSpecialCharacters   = "special-characters"   // the site's host, an odd character, another domain
	ClassThirdParty          = "third-party"          // origins anyone can publish pages on
	ClassWildcardCredentials = "wildcard-credentials" // "*" together with credentials
	ClassMissingVary         = "missing-vary"         // an echoed origin without Vary: Origin
	ClassInvalidAllowOrigin  = "invalid-allow-origin" // several values, or one no browser accepts
)

// Probe is one Origin value to send and the class of finding it reveals
// when the endpoint trusts it.
type Probe struct {
	Class  string
	Origin string
}

// specialCharacters are placed between the site's host and ".evil.com":
// some origin parsers stop at them, and Safari sends some of them.
var specialCharacters = []string{"_", "-", `"`, "{", "}", "+", "^", "%60", "!", "~", "`", ";", "|", "&", "'", "(", ")", "*", ",", "$", "=", "%0b"}

// thirdParties are hosting sites where anyone can publish a page.
var thirdParties = []string{
	"https://crossgate-scan.github.io", "https://github.com", "https://gitlab.com",
	"https://pastebin.com", "https://codepen.io", "https://jsfiddle.net", "http://jsbin.com",
	"https://crossgate-scan.s3.amazonaws.com", "https://repl.it",
}

// Probes returns the probes for the endpoint u, built from its host and
// registered domain. A host that is an IP address or a name outside the
// public DNS (localhost, a single label) has no domain that another name
// could end with, contain or be a subdomain of, and no subdomain an attacker
// could take over, so it gets none of those probes: they would be names no
// one can register or reach (http://27.0.0.1, http://evil.127.0.0.1).
func Probes(u *url.URL) []Probe {
	scheme := u.Scheme
	host := strings.ToLower(u.Hostname())
	domain, named := registeredDomain(host)
	o := func(s string) string { return scheme + "://" + s }
	var ps []Probe
	add := func(class string, origins ...string) {
		for _, origin := range origins {
			if !slices.ContainsFunc(ps, func(p Probe) bool { return p.Origin == origin }) {
				ps = append(ps, Probe{class, origin})
			}
		}
	}
	add(ClassOriginReflection, "https://evil.com", "http://evil.com")
	add(ClassNullOrigin, "null")
	// An IPv6 address cannot start a name.
	startsNames := !strings.Contains(host, ":")
	if startsNames {
		add(ClassPrefixMatch, o(host+".evil.com"), o(domain+".evil.com"), o(host+"evil.com"))
	}
	if named {
		add(ClassSuffixMatch, o("evil"+domain), o("evil"+host))
		if len(domain) > 2 {
			add(ClassSubstringMatch, o(domain[1:]), o(domain[:len(domain)-1]))
		}
		if i := strings.IndexByte(host, '.'); i > 0 {
			add(ClassUnescapedDot, o(host[:i]+"x"+host[i+1:]))
		}
		if i := strings.LastIndexByte(host, '.'); i > 0 {
			add(ClassUnescapedDot, o(host[:i]+"a"+host[i+1:]))
		}
		add(ClassAnySubdomain, o("evil."+host))
	}
	if scheme == "https" {
		add(ClassHTTPOrigin, "http://"+u.Host)
	}
	if startsNames {
		for _, c := range specialCharacters {
			add(ClassSpecialCharacters, o(host+c+".evil.com"))
		}
	}
	add(ClassThirdParty, thirdParties...)
	return ps
}

// registeredDomain returns the domain its owner registered ("example.com"
// for "api.example.com") and true, or the host itself and false for IP
// addresses and names that are not under a public suffix (localhost, a
// single label).
func registeredDomain(host string) (string, bool) {
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host, false
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host, false
	}
	return d, true
}

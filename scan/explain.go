package scan

// explanation is the cause and the fix of a class of findings, in the words
// crossgate check uses for a blocked request: what the endpoint does, why it
// is a problem, what to change.
type explanation struct{ cause, fix string }

var explanations = map[string]explanation{
	ClassOriginReflection: {
		"the endpoint copies any Origin it receives into Access-Control-Allow-Origin, so a page on any site can read its responses (with the user's cookies when it also allows credentials); every other probe it trusted follows from this",
		"compare the Origin with the list of origins your pages are served from and answer only those (Crossgate: allow_origins)",
	},
	ClassNullOrigin: {
		"the endpoint trusts Origin: null, which any site can send from a sandboxed iframe or a data: URL",
		"remove null from the allowed origins",
	},
	ClassPrefixMatch: {
		"the endpoint checks only that the Origin starts with its own host, so a name under another domain (its owner's to register) passes",
		"compare the whole origin (scheme, host and port) with each allowed origin, not a prefix",
	},
	ClassSuffixMatch: {
		"the endpoint checks only that the Origin ends with its domain, so another domain that ends the same way (anyone's to register) passes",
		"compare the whole origin; to allow subdomains, match the host against \".\" followed by the domain (Crossgate: https://*.example.com)",
	},
	ClassSubstringMatch: {
		"the endpoint checks only that the Origin is a part of its domain, so a shorter, different domain passes",
		"compare the whole origin with each allowed origin",
	},
	ClassUnescapedDot: {
		"the endpoint matches origins with a regex whose \".\" is not escaped, so it matches any character and a look-alike domain passes",
		"escape every dot (\\.) and anchor the regex at both ends (^...$), or list the origins instead",
	},
	ClassAnySubdomain: {
		"the endpoint trusts every subdomain of its host: whoever takes over one of them (a dangling DNS record, a user-content host) reads its responses",
		"list the subdomains that need access instead of all of them",
	},
	ClassHTTPOrigin: {
		"the endpoint trusts the http:// origin of its https site: anyone on the network path of that plain-HTTP page can inject a script into it and read the responses",
		"allow only the https:// origin",
	},
	ClassSpecialCharacters: {
		"the endpoint's origin check stops reading at an unusual character, so the site's host followed by that character and another domain (an attacker's name) passes",
		"parse the Origin as a URL and compare its scheme, host and port exactly with each allowed origin",
	},
	ClassThirdParty: {
		"the endpoint trusts a site where anyone can publish a page, so anyone can read its responses from there",
		"remove that origin; allow the exact origin of your own page (its own subdomain on such a host, at most)",
	},
	ClassWildcardCredentials: {
		"the endpoint answers Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true, which browsers refuse; it usually means the server meant to reflect the Origin",
		"send * without credentials for public data, or an allowed origin, exactly, with credentials",
	},
	ClassMissingVary: {
		"the endpoint's Access-Control-Allow-Origin depends on the Origin, but its response has no Vary: Origin, so a shared cache (a CDN, a proxy) can serve one origin's answer to another",
		"add Vary: Origin to every response whose CORS headers depend on the Origin, including responses to requests without one",
	},
	ClassInvalidAllowOrigin: {
		"the endpoint sends several Access-Control-Allow-Origin values, or a list in one, which no browser accepts",
		"send exactly one value: the request's origin when it is allowed",
	},
}

// Package cors is a strict, allocation-free CORS policy for net/http.
//
// A Config states a policy: the origins allowed to read responses, the
// methods and request headers a preflight may ask for, the response headers
// scripts may read, credentials and the preflight's max age. New checks it
// against the Fetch standard and the mistakes that leak data (a wildcard
// with credentials, "null", a pattern over a public suffix, http origins
// with credentials, regexes that could match any origin) and returns every
// problem at once, each a *ConfigError whose Code names the kind of problem
// with a stable ProblemCode. The Policy it returns is immutable until
// Reconfigure swaps in another, atomically.
//
// Policy.Handler is the middleware: it answers preflights itself (204, or
// 403 with no Access-Control-Allow-* header when refused) and writes the CORS
// headers of every other response, always with Vary: Origin unless the
// policy is a static "*". Policy.Decide is the same decision without a
// ResponseWriter: the request's Kind, whether it is allowed, a stable Reason
// and the headers to write, for gateways, logs and debugging tools.
//
// Rules worth knowing:
//
//   - Origins match byte for byte in the form browsers send them;
//     "https://*.example.com" matches subdomains at any depth but not
//     example.com itself; ":*" matches any port, and no port.
//   - A preflight is OPTIONS with Origin and Access-Control-Request-Method;
//     any other OPTIONS request goes to the next handler.
//   - An accepted preflight lists the policy's whole AllowMethods and
//     AllowHeaders, whatever it asked for: browsers cache every method and
//     header name of the answer, so one preflight covers the page's later
//     calls. It carries ExposeHeaders too, which browsers ignore there and
//     the Gateway API's CORS conformance asks for.
//   - Methods match case-sensitively, as browsers match them; GET, HEAD and
//     POST are always allowed.
//   - "*" in AllowHeaders never covers Authorization.
//   - Access-Control-Request-Headers is read in browser form and as people
//     type it, within fixed bounds, without allocating.
//   - Every header value written is a fresh slice: a handler that changes
//     one in place cannot affect another request. The slices are cut from
//     4 KiB slabs shared by consecutive responses, so a response that
//     stays open for long (an event stream, a long poll) keeps its slab
//     alive; a handler that keeps many such responses open can copy its
//     header values (slices.Clone) once they are written.
package cors

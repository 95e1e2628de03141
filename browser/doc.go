// Package browser runs the browser's half of the CORS protocol as the Fetch
// standard defines it, so that a request can be checked the way Chrome and
// Firefox check it, without a browser.
//
// The algorithm is split into pure steps that take a Request and an
// *http.Response and do no I/O:
//
//   - NeedsPreflight decides whether a preflight is sent and what its
//     Access-Control-Request-Headers value is;
//   - PreflightRequest and ActualRequest build the requests a browser sends;
//   - CheckPreflight validates a preflight response;
//   - CheckResponse runs the CORS check on an actual response;
//   - Redirect validates a redirect response and returns the next request,
//     with the origin tainted to "null" where browsers taint it;
//   - ExposedHeaders lists the response headers a script may read.
//
// Client strings these steps together over an http.RoundTripper, following
// redirects itself as browsers do.
//
// Every failure is an *Error that carries the name DevTools shows for it
// (Chrome's network.mojom.CorsError), Chrome's and Firefox's console
// messages, the cause in plain words and a fix naming the exact header and
// value to send, with the Crossgate policy setting that sends it.
//
// The browser's preflight cache is not modelled: every preflight is sent as
// by a browser whose cache holds no matching entry.
package browser

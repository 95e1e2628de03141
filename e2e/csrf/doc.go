// Package csrf proves the gateway's CSRF protection in a real browser.
// Headless Chromium runs HTML forms and fetch() calls from an attacker's
// site, from an allowed application origin and from a page the gateway
// serves on the API's own origin, all over HTTPS so that the browser sends
// Fetch Metadata; the recording upstream behind the gateway shows which
// requests got through.
//
// The package has tests only.
package csrf

// Package checkagree holds real-browser tests, not a library. The first serves
// dozens of deliberately misbehaving CORS servers on loopback, has headless
// Chromium fetch from each of them, runs `crossgate check` on the same
// request, and fails on any server where the two reach a different verdict
// (allowed or blocked) or name a different DevTools CORS error. A second
// test has both send the same requests to one recording server and compares
// the CORS and Fetch Metadata headers the server received from each.
//
// Run it with
//
//	go test -v ./e2e/checkagree
//
// It prints "N agree, M disagree" at the end. It skips when Chromium is not
// installed, and fails then when the CI environment variable is set.
package checkagree

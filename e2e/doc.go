// Package e2e runs real-browser tests: it drives Debian's Chromium through the
// DevTools protocol and serves the pages and APIs the browser talks to.
//
// A test starts one Browser, serves a page origin and an API origin on
// 127.0.0.1 under test host names, and asks the browser to fetch:
//
//	b := e2e.LaunchTest(t, e2e.Options{})
//	page := e2e.NewServer("app.example.test", http.HandlerFunc(e2e.ServePage))
//	defer page.Close()
//	api := e2e.NewServer("api.example.test", apiHandler)
//	defer api.Close()
//	res, err := b.Fetch(ctx, page.URL, e2e.FetchRequest{URL: api.URL + "/items"})
//
// The result holds what a script sees (status, readable headers, body, the
// rejection message) and what only a developer sees (the console message and
// the DevTools CORS error code), so a test can assert both.
//
// Chromium is not a Go dependency. scripts/install-test-deps.sh installs it;
// LaunchTest skips a test when it is missing, and fails it when the CI
// environment variable is set, so a CI machine without a browser cannot pass by
// accident.
package e2e

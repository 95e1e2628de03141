// Package console proves the web console of the admin listener in a real
// browser: headless Chromium loads each view of `crossgate serve`'s console
// while pages on other origins call the gateway, and the tests read what
// the console shows. The playground's verdicts are compared with what
// Chromium itself does with the same requests.
//
// The package has tests only. go test -update-screenshots writes the
// screenshots of the README into docs/.
package console

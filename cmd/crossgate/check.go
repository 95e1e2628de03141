package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/gateway"
)

// headerFlags collects -H 'Name: value' flags.
type headerFlags struct{ h http.Header }

func (f *headerFlags) String() string { return "" }

func (f *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", v)
	}
	f.h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "Usage: crossgate check URL --origin ORIGIN [-X METHOD] [-H 'Name: value']... [--credentials] [--untrusted] [--resolve HOST:PORT:ADDR] [--json]\n       crossgate check --har FILE [--json]", stderr)
	origin := fs.String("origin", "", "the `ORIGIN` of the page making the request, such as https://app.example.com (required)")
	method := fs.String("X", "GET", "request `METHOD`")
	headers := &headerFlags{h: http.Header{}}
	fs.Var(headers, "H", "request `HEADER` as 'Name: value'; repeatable")
	credentials := fs.Bool("credentials", false, `send the request with credentials: "include" (cookies, HTTP auth)`)
	resolve := resolveFlags{}
	fs.Var(resolve, "resolve", "connect to ADDR for HOST:PORT (`HOST:PORT:ADDR`, as curl); repeatable")
	untrusted := fs.Bool("untrusted", false, "the --origin is one the server must not trust (an attacker's): warn if it is allowed")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	har := fs.String("har", "", "check every cross-origin request of a DevTools HAR export `FILE` instead")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this `DURATION`")
	var target string
	if err := fs.Parse(args); err != nil {
		return parseFailed(err)
	}
	if *har == "" {
		var err error
		if target, err = parseWithPositional(fs, args); err != nil {
			return parseFailed(err)
		}
		if *origin == "" {
			fmt.Fprintln(stderr, "crossgate check: --origin is required: the origin of the page that makes the request, e.g. --origin https://app.example.com")
			return 2
		}
	}
	if *har != "" {
		return checkHAR(*har, *asJSON, stdout, stderr)
	}

	req, err := browser.NewRequest(target, *origin, *method, headers.h, *credentials)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate check: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := &browser.Client{Transport: transport(resolve)}
	res, err := client.Do(ctx, req)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate check: could not check: %v\n", err)
		return 2
	}
	if err := client.Warn(ctx, res, *untrusted); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("A second request, from another origin, to see whether the answer depends on the origin, got no answer: %v", err))
	}
	if res.Error != nil && res.Preflight != nil {
		if why := res.Preflight.Header.Get(gateway.ReasonHeader); why != "" {
			res.Error.Cause = gatewayCause(why, res.Origin)
		}
	}
	if *asJSON {
		writeJSON(stdout, res)
	} else {
		printCheck(stdout, res)
	}
	if !res.Allowed {
		return 1
	}
	return 0
}

// printCheck prints what was sent and received, the verdict and, when the
// browser blocks the request, its messages, the cause and the fix.
func printCheck(w io.Writer, res *browser.Result) {
	if !res.CrossOrigin {
		fmt.Fprintf(w, "%s is same-origin with %s: CORS does not apply.\n\n", res.URL, res.Origin)
	}
	for _, x := range res.Exchanges {
		what := ""
		if x.Preflight {
			what = " (preflight)"
		}
		fmt.Fprintf(w, "> %s %s%s\n", x.Method, x.URL, what)
		printHeaders(w, "> ", x.RequestHeader)
		fmt.Fprintf(w, "< %d %s\n", x.Status, http.StatusText(x.Status))
		printHeaders(w, "< ", x.Header)
		fmt.Fprintln(w)
	}
	if res.Allowed {
		fmt.Fprintln(w, "ALLOWED: the page can read the response.")
		if len(res.ExposedHeaders) > 0 {
			fmt.Fprintf(w, "Readable response headers: %s\n", strings.Join(res.ExposedHeaders, ", "))
		}
		for _, warning := range res.Warnings {
			fmt.Fprintf(w, "Warning: %s\n", warning)
		}
		return
	}
	e := res.Error
	fmt.Fprintf(w, "BLOCKED (%s)\n\n", e.Code)
	fmt.Fprintf(w, "Chrome:  %s\n", e.Message)
	if e.FirefoxMessage != "" {
		fmt.Fprintf(w, "Firefox: %s\n", e.FirefoxMessage)
	}
	fmt.Fprintf(w, "\nCause: %s\nFix:   %s\n", e.Cause, e.Fix)
	if e.Config != "" {
		fmt.Fprintf(w, "\nIn a Crossgate policy:\n")
		for l := range strings.SplitSeq(e.Config, "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}

func printHeaders(w io.Writer, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func checkHAR(path string, asJSON bool, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate check: %v\n", err)
		return 2
	}
	defer f.Close()
	entries, err := browser.ReadHAR(f)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate check: %s: %v\n", path, err)
		return 2
	}
	checks := browser.CheckHAR(entries)
	blocked := 0
	for _, c := range checks {
		if !c.Allowed {
			blocked++
		}
	}
	if asJSON {
		writeJSON(stdout, map[string]any{"file": path, "checks": checks})
	} else {
		fmt.Fprintf(stdout, "%s: %d cross-origin requests, %d blocked\n", path, len(checks), blocked)
		for _, c := range checks {
			if c.Allowed {
				fmt.Fprintf(stdout, "\nallowed  %s %s (from %s)\n", c.Method, c.URL, c.Origin)
				continue
			}
			fmt.Fprintf(stdout, "\nBLOCKED  %s %s (from %s): %s\n  Chrome: %s\n  Cause:  %s\n  Fix:    %s\n",
				c.Method, c.URL, c.Origin, c.Error.Code, c.Error.Message, c.Error.Cause, c.Error.Fix)
		}
	}
	if blocked > 0 {
		return 1
	}
	return 0
}

// gatewayCause puts in words the reason a Crossgate gateway gave for
// refusing a preflight (its Crossgate-Cors-Refusal header).
func gatewayCause(why, origin string) string {
	reason, detail, _ := strings.Cut(why, ": ")
	switch reason {
	case "origin-not-allowed":
		return fmt.Sprintf("Crossgate refused the preflight: the origin %s is not in the route policy's allow_origins (or allow_origin_regex).", origin)
	case "origin-malformed":
		return "Crossgate refused the preflight: the Origin header is not an origin as browsers send it."
	case "method-not-allowed":
		return fmt.Sprintf("Crossgate refused the preflight: the method %s is not in the route policy's allow_methods (methods match case-sensitively).", detail)
	case "headers-not-allowed":
		return fmt.Sprintf("Crossgate refused the preflight: the request header %s is not in the route policy's allow_headers.", detail)
	}
	return "Crossgate refused the preflight: " + why + "."
}

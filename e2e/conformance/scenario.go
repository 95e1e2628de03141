package conformance

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/e2e"
)

// A Scenario is one row of the suite: a route's CORS policy, a request a
// page makes, and what the browser must make of it.
type Scenario struct {
	// Name says what is proven, in words a failure report can stand on.
	Name string
	// Policy is the route's cors setting as YAML: an inline mapping such
	// as `{allow_origins: ["{{app}}"], allow_methods: [PUT]}`, or
	// `"off"`. {{NAME}} stands for the origin of page NAME, and
	// {{port:http}}, {{port:http2}}, {{port:https}} for the ports of the
	// page listeners.
	Policy string
	// Route holds more keys of the route, as one YAML line, for example
	// "methods: [GET]".
	Route string
	// Upstream is "api" (or empty), "slow" (300 ms timeout) or "down".
	Upstream string
	// Page names the origin the request comes from: one of Pages(), for
	// example "app", "app-tls", "evil" or DataPage.
	Page string
	// Sandboxed runs the fetch in an <iframe sandbox="allow-scripts"> of
	// Page: an opaque origin, whose requests carry Origin: null (see
	// e2e.FetchRequest.Sandboxed).
	Sandboxed bool
	// Before are fetches made first, in order, whose outcome is not
	// checked: they fill the browser's caches or cookie jar.
	Before []Step
	// Request is the fetch. Its URL is relative to the scenario's route on
	// the gateway ("/echo" is /ID/echo), on the listener of the page's
	// scheme; {{id}} in it is the scenario's ID, and {{gw}} the gateway's
	// base URL, for paths outside the route.
	Request e2e.FetchRequest
	// Want is the expected outcome.
	Want Want
}

// A Step is a fetch a Scenario makes before its own.
type Step struct {
	// Page is the page the fetch runs in; empty means the Scenario's.
	Page    string
	Request e2e.FetchRequest
}

// Want is what the browser, the gateway and the upstream must see.
type Want struct {
	// Allowed: the fetch resolved. Otherwise it was rejected, and CorsError
	// is DevTools' code for why ("" when the rejection is not a CORS
	// error).
	Allowed   bool
	CorsError string
	// Status is the status the script read; checked when Allowed.
	Status int
	// Preflight: the browser sent a preflight for the request, as the
	// gateway saw it.
	Preflight bool
	// Readable maps header names to the value the script must read; ""
	// means the script must not be able to read the header.
	Readable map[string]string
	// Body, when set, is a substring of the body the script read, and
	// NotBody one it must not contain.
	Body, NotBody string
	// Gateway and Upstream, when not nil, count the requests of the
	// scenario (its Before steps included) that reached each, by method.
	Gateway  map[string]int
	Upstream map[string]int
	// UpstreamOrigin, when set, is the Origin header of the last request
	// that reached the upstream ("none" for no Origin header).
	UpstreamOrigin string
}

// An Outcome is what happened when a scenario ran.
type Outcome struct {
	// FetchResult is what the page and DevTools saw of the scenario's own
	// fetch, except Preflighted: whether the gateway received a preflight
	// for it.
	e2e.FetchResult
	// Console is the browser's console message about the request: the CORS
	// error text when it was blocked.
	Console string
	// Gateway and Upstream are the requests of the scenario that reached
	// each, Before steps included.
	Gateway, Upstream []e2e.RecordedRequest
}

// Allowed reports whether the fetch resolved.
func (o *Outcome) Allowed() bool { return o.Error == "" }

// String describes the outcome as a failure report needs it.
func (o *Outcome) String() string {
	if o.Allowed() {
		return fmt.Sprintf("allowed, status %d", o.Status)
	}
	s := "blocked"
	if o.CorsError != "" {
		s += " (" + o.CorsError
		if o.CorsErrorParameter != "" {
			s += " " + o.CorsErrorParameter
		}
		s += ")"
	}
	return s + ": " + o.Error
}

// String describes the expected outcome.
func (w *Want) String() string {
	if w.Allowed {
		return fmt.Sprintf("allowed, status %d", w.Status)
	}
	if w.CorsError == "" {
		return "blocked"
	}
	return "blocked (" + w.CorsError + ")"
}

// Run runs scenario i of the Env: its Before steps, then its request, and
// collects what the gateway and upstream received for it. An error means the
// scenario could not run, not that the browser blocked it.
func (env *Env) Run(ctx context.Context, i int) (Outcome, error) {
	sc := env.scenarios[i]
	for _, st := range sc.Before {
		p := st.Page
		if p == "" {
			p = sc.Page
		}
		pageURL, err := env.PageURL(p)
		if err != nil {
			return Outcome{}, err
		}
		req := env.request(i, p, st.Request)
		if _, err := env.Browser.Fetch(ctx, pageURL, req); err != nil {
			return Outcome{}, err
		}
	}
	pageURL, err := env.PageURL(sc.Page)
	if err != nil {
		return Outcome{}, err
	}
	req := env.request(i, sc.Page, sc.Request)
	prefix := "/" + ID(i) + "/"
	// DevTools may report a preflight after the fetch has settled, and then
	// within the next call on the tab; the gateway sees every preflight
	// before the request it guards, so it is the witness.
	preflightsBefore := countMethod(ofPrefix(env.Gateway.Recorder.Requests(), prefix), http.MethodOptions)
	req.Sandboxed = sc.Sandboxed
	var out Outcome
	out.FetchResult, err = env.Browser.Fetch(ctx, pageURL, req)
	if err != nil {
		return Outcome{}, err
	}
	if m, ok := out.Blocked(); ok {
		out.Console = m.Text
	}
	out.Gateway = ofPrefix(env.Gateway.Recorder.Requests(), prefix)
	out.Upstream = ofPrefix(env.Upstream.Recorder.Requests(), prefix)
	out.Preflighted = countMethod(out.Gateway, http.MethodOptions) > preflightsBefore
	return out, nil
}

func countMethod(rs []e2e.RecordedRequest, method string) int {
	n := 0
	for _, r := range rs {
		if r.Method == method {
			n++
		}
	}
	return n
}

// request makes req absolute for scenario i run from page p.
func (env *Env) request(i int, p string, req e2e.FetchRequest) e2e.FetchRequest {
	u := strings.ReplaceAll(req.URL, "{{id}}", ID(i))
	u = strings.ReplaceAll(u, "{{gw}}", env.Gateway.URL(scheme(p)))
	if strings.HasPrefix(u, "/") {
		u = env.Gateway.URL(scheme(p)) + "/" + ID(i) + u
	}
	req.URL = u
	return req
}

func ofPrefix(rs []e2e.RecordedRequest, prefix string) []e2e.RecordedRequest {
	var out []e2e.RecordedRequest
	for _, r := range rs {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// Check compares o with w and returns one line per difference.
func (o *Outcome) Check(w Want) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if o.Allowed() != w.Allowed || (!w.Allowed && o.CorsError != w.CorsError) {
		add("outcome: got %s, want %s", o.String(), w.String())
	}
	if w.Allowed && o.Allowed() {
		if o.Status != w.Status {
			add("status: got %d, want %d", o.Status, w.Status)
		}
		for _, name := range slices.Sorted(maps.Keys(w.Readable)) {
			if got, want := o.Header.Get(name), w.Readable[name]; got != want {
				add("readable header %s: got %q, want %q", name, got, want)
			}
		}
		if w.Body != "" && !strings.Contains(o.Body, w.Body) {
			add("body: got %q, want it to contain %q", o.Body, w.Body)
		}
		if w.NotBody != "" && strings.Contains(o.Body, w.NotBody) {
			add("body: got %q, want it not to contain %q", o.Body, w.NotBody)
		}
	}
	if o.Preflighted != w.Preflight {
		add("preflight sent: got %v, want %v", o.Preflighted, w.Preflight)
	}
	count := func(who string, rs []e2e.RecordedRequest, want map[string]int) {
		if want == nil {
			return
		}
		got := map[string]int{}
		for _, r := range rs {
			got[r.Method]++
		}
		if !maps.Equal(got, want) {
			add("%s received %v, want %v", who, got, want)
		}
	}
	count("gateway", o.Gateway, w.Gateway)
	count("upstream", o.Upstream, w.Upstream)
	if w.UpstreamOrigin != "" {
		got := "(no request)"
		if n := len(o.Upstream); n > 0 {
			got = o.Upstream[n-1].Header.Get("Origin")
			if got == "" {
				got = "none"
			}
		}
		if got != w.UpstreamOrigin {
			add("Origin at the upstream: got %q, want %q", got, w.UpstreamOrigin)
		}
	}
	return diffs
}

// Want returns the expected outcome of scenario i, its placeholders
// replaced.
func (env *Env) Want(i int) Want {
	w := env.scenarios[i].Want
	w.UpstreamOrigin = env.expand.Replace(w.UpstreamOrigin)
	return w
}

// Scenario returns scenario i of the Env.
func (env *Env) Scenario(i int) Scenario { return env.scenarios[i] }

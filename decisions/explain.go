package decisions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/cors"
)

// Answer is how the gateway answers a request, found without sending it
// anywhere: gateway.Gateway.Explain makes it.
type Answer struct {
	// Route is the id of the route that serves the request, "" when none
	// does.
	Route string
	// Policy names the route's CORS policy, "" when it is inline or the
	// route has none; Mode is the policy's mode, "" when it has none.
	Policy, Mode string
	// Decision is the policy's decision on the request.
	Decision cors.Decision
	// Status is the status the gateway answers with itself (a preflight,
	// 403, 404, 405), or 0 when it forwards the request, whose status is
	// then the upstream's.
	Status int
	// Header holds the headers the gateway writes.
	Header http.Header
}

// Header is one header a page's script sets.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is a request as a page's script makes it, the input of Explain
// and of POST /v1/explain.
type Request struct {
	// Origin is the page's origin.
	Origin string `json:"origin"`
	// Method is the request's method; GET when empty.
	Method string `json:"method,omitempty"`
	// Headers are the headers the script sets.
	Headers []Header `json:"headers,omitempty"`
	// Credentials is fetch's credentials: "include".
	Credentials bool `json:"credentials,omitempty"`
	// Host is the gateway's host (and port) as the page calls it.
	Host string `json:"host,omitempty"`
	// Path is the URL's path, with its query if any.
	Path string `json:"path"`
}

// Step is the gateway's answer to one request of an explained exchange.
type Step struct {
	Preflight bool   `json:"preflight"`
	Kind      string `json:"kind"`
	Allowed   bool   `json:"allowed"`
	// Reason is the policy's reason code; Detail names what it refused.
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	// Status is the status the gateway answers with itself, 0 when the
	// upstream answers.
	Status int `json:"status"`
}

// Result is Explain's answer: which route and policy the request meets,
// what the gateway answers to each request the browser sends, and the
// browser's verdict with Chrome's message, the cause and the fix.
type Result struct {
	Route  string `json:"route"`
	Policy string `json:"policy"`
	Mode   string `json:"mode"`
	// Steps are the gateway's answers, the preflight's first.
	Steps []Step `json:"steps"`
	// Note says what the verdict assumes, when it assumes anything.
	Note string `json:"note,omitempty"`
	// Browser is what a browser makes of the exchange: the preflight and
	// actual exchanges with every header the gateway sends, whether the
	// page may read the response and, when not, why and how to fix it.
	Browser *browser.Result `json:"browser"`
}

// Explain tells what a browser makes of req sent to the gateway, whose
// answers answer gives, as scheme://req.Host req.Path. It runs the
// browser's algorithm (package browser) against the gateway's answers:
// the preflight when the browser sends one, then the actual request,
// whose response stands for the upstream's: status 200, with the headers
// the gateway writes on it. The error is for a request no page can make
// (see browser.NewRequest), said so that a person can correct it.
func Explain(ctx context.Context, answer func(*http.Request) Answer, scheme string, req Request) (*Result, error) {
	if req.Host == "" {
		return nil, errors.New("host: give the gateway's host, as the page calls it")
	}
	if !strings.HasPrefix(req.Path, "/") {
		return nil, fmt.Errorf("path %q: must start with /", req.Path)
	}
	h := make(http.Header, len(req.Headers))
	for _, kv := range req.Headers {
		h.Add(kv.Name, kv.Value)
	}
	br, err := browser.NewRequest(scheme+"://"+req.Host+req.Path, req.Origin, req.Method, h, req.Credentials)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "browser: "))
	}
	t := &answerTransport{answer: answer}
	res := &Result{}
	res.Browser, err = (&browser.Client{Transport: t}).Do(ctx, br)
	if err != nil {
		return nil, err
	}
	res.Route, res.Policy, res.Mode, res.Steps = t.last.Route, t.last.Policy, t.last.Mode, t.steps
	switch {
	case res.Route == "":
		res.Note = "No route serves this host and path: the gateway answers 404 without CORS headers."
	case res.Mode == "":
		res.Note = "The route has no CORS policy: the headers are the upstream's, and a response without them is blocked."
	case res.Mode != "gateway":
		res.Note = "In " + res.Mode + " mode the upstream answers CORS; this is what the gateway's own policy would answer."
	}
	return res, nil
}

// maxSteps bounds the exchanges of one explanation; the gateway never
// redirects, so two (a preflight and the actual request) is the most.
const maxSteps = 4

// answerTransport answers each request with the gateway's answer, and
// records it.
type answerTransport struct {
	answer func(*http.Request) Answer
	last   Answer
	steps  []Step
}

func (t *answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.steps) >= maxSteps {
		return nil, errors.New("too many exchanges")
	}
	a := t.answer(r)
	t.last = a
	d := &a.Decision
	t.steps = append(t.steps, Step{
		Preflight: d.Kind == cors.Preflight, Kind: d.Kind.String(), Allowed: d.Allowed,
		Reason: d.Reason.String(), Detail: d.Detail, Status: a.Status,
	})
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	h := a.Header
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, Request: r,
	}, nil
}

// splitList returns the names of a comma-separated header list.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.Trim(item, " \t"); item != "" {
			out = append(out, item)
		}
	}
	return out
}

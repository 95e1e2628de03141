package decisions_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/decisions"
)

// policyAnswers answers every request as a gateway route "users" in gateway
// mode does with policy(t).
func policyAnswers(t testing.TB) func(*http.Request) decisions.Answer {
	p := policy(t)
	return func(r *http.Request) decisions.Answer {
		a := decisions.Answer{Route: "users", Policy: "web", Mode: "gateway", Decision: p.Decide(r), Header: http.Header{}}
		a.Decision.Apply(a.Header)
		if r.Method == http.MethodOptions {
			a.Status = a.Decision.Status
		}
		return a
	}
}

func TestExplain(t *testing.T) {
	answer := policyAnswers(t)
	for _, c := range []struct {
		name    string
		req     decisions.Request
		allowed bool
		code    browser.Code
		steps   int
		fix     string
	}{
		{"simple GET allowed", decisions.Request{Origin: "https://app.example.com", Path: "/users/1"}, true, "", 1, ""},
		{"simple GET refused", decisions.Request{Origin: "https://evil.example", Path: "/users/1"}, false, browser.MissingAllowOriginHeader, 1, "https://evil.example"},
		{"PUT preflighted", decisions.Request{Origin: "https://app.example.com", Method: "PUT", Path: "/users/1",
			Headers: []decisions.Header{{Name: "Content-Type", Value: "application/json"}}}, true, "", 2, ""},
		{"header refused", decisions.Request{Origin: "https://app.example.com", Method: "PUT", Path: "/users/1",
			Headers: []decisions.Header{{Name: "X-Debug", Value: "1"}}}, false, browser.PreflightMissingAllowOriginHeader, 1, "X-Debug"},
		{"method refused", decisions.Request{Origin: "https://app.example.com", Method: "PATCH", Path: "/users/1"}, false, browser.PreflightMissingAllowOriginHeader, 1, "PATCH"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.req.Host = "api.example.com"
			res, err := decisions.Explain(context.Background(), answer, "https", c.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Browser.Allowed != c.allowed || len(res.Steps) != c.steps || res.Route != "users" {
				t.Fatalf("allowed %v, %d steps, route %q; want %v, %d, users", res.Browser.Allowed, len(res.Steps), res.Route, c.allowed, c.steps)
			}
			if c.allowed {
				return
			}
			e := res.Browser.Error
			if e.Code != c.code || !strings.Contains(e.Message, "has been blocked by CORS policy") {
				t.Errorf("error %s %q, want %s", e.Code, e.Message, c.code)
			}
			if !strings.Contains(e.Fix+e.Config, c.fix) {
				t.Errorf("fix %q / config %q does not name %s", e.Fix, e.Config, c.fix)
			}
		})
	}
}

func TestExplainRefusesWhatNoPageSends(t *testing.T) {
	for _, req := range []decisions.Request{
		{Origin: "https://app.example.com", Path: "/x"},                         // no host
		{Origin: "https://app.example.com", Host: "api.example.com", Path: "x"}, // relative path
		{Origin: "not an origin", Host: "api.example.com", Path: "/x"},
		{Origin: "https://app.example.com", Host: "api.example.com", Path: "/x", Method: "TRACE"},
		{Origin: "https://app.example.com", Host: "api.example.com", Path: "/x", Headers: []decisions.Header{{Name: "Cookie", Value: "a=b"}}},
	} {
		if res, err := decisions.Explain(context.Background(), policyAnswers(t), "https", req); err == nil {
			t.Errorf("%+v: explained as %+v, want an error", req, res)
		}
	}
}

// FuzzExplain feeds Explain any request: it must answer or refuse, never
// panic.
func FuzzExplain(f *testing.F) {
	f.Add("https://app.example.com", "PUT", "X-Debug", "1", "api.example.com", "/users/1", true)
	f.Add("null", "get", "content-type", "text/plain", "[::1]:8080", "/?a=b", false)
	answer := policyAnswers(f)
	f.Fuzz(func(t *testing.T, origin, method, name, value, host, path string, credentials bool) {
		req := decisions.Request{Origin: origin, Method: method, Host: host, Path: path, Credentials: credentials,
			Headers: []decisions.Header{{Name: name, Value: value}}}
		res, err := decisions.Explain(context.Background(), answer, "http", req)
		if err == nil && res.Browser == nil {
			t.Fatal("no browser verdict and no error")
		}
	})
}

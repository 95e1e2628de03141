package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client sends a Request as a browser does: the preflight when one is
// needed, then the actual request, following redirects itself and
// checking every response on the way. It keeps no preflight cache and no
// cookies. The zero Client uses http.DefaultTransport.
type Client struct {
	// Transport sends each request; it must not follow redirects (an
	// http.RoundTripper never does).
	Transport http.RoundTripper
}

// Exchange is one HTTP request and its response. Its JSON form is the
// "preflight" and "actual" objects of crossgate check --json.
type Exchange struct {
	// Method and URL are those of the request sent.
	Method string `json:"method"`
	URL    string `json:"url"`
	// RequestHeader holds the headers sent.
	RequestHeader http.Header `json:"request_headers"`
	// Status and Header are those of the response.
	Status int         `json:"status"`
	Header http.Header `json:"headers"`
	// Preflight is true for a preflight request.
	Preflight bool `json:"preflight"`
}

// Result is the outcome of Client.Do. Its JSON form is the object that
// crossgate check --json prints.
type Result struct {
	// URL, Origin, Method and Credentials describe the request as given.
	URL         string `json:"url"`
	Origin      string `json:"origin"`
	Method      string `json:"method"`
	Credentials bool   `json:"credentials"`
	// CrossOrigin is false for a request that is same-origin with the page,
	// to which CORS does not apply.
	CrossOrigin bool `json:"cross_origin"`
	// Preflight is the last preflight sent, nil when none was needed.
	Preflight *Exchange `json:"preflight"`
	// Actual is the last actual response, nil when a preflight blocked the
	// request.
	Actual *Exchange `json:"actual"`
	// Exchanges lists every exchange in order, redirects included.
	Exchanges []Exchange `json:"exchanges"`
	// Allowed reports whether the page may read the final response.
	Allowed bool `json:"allowed"`
	// Error says why the browser blocked the request; nil when allowed.
	Error *Error `json:"error,omitempty"`
	// ExposedHeaders lists the response headers the page may read, when
	// allowed.
	ExposedHeaders []string `json:"exposed_headers,omitempty"`
	// Warnings name what passed in Chrome but fails elsewhere and, after
	// Client.Warn, what lets this page in but should not.
	Warnings []string `json:"warnings,omitempty"`
}

// maxBody bounds how much of a response body is read before the
// connection is given up, so that an endless body cannot stall a check.
const maxBody = 64 << 10

// Do runs req. It returns a Result whether the browser allows the request
// or blocks it; the error is non-nil only when the check could not be
// completed (an invalid request, a network error, a cancelled context),
// and the Result then holds the exchanges made before.
func (c *Client) Do(ctx context.Context, req *Request) (*Result, error) {
	res := &Result{}
	if req != nil && req.URL != nil {
		res.URL, res.Origin, res.Method, res.Credentials = req.URL.String(), req.Origin, req.Method, req.Credentials
	}
	if err := req.validate(); err != nil {
		return res, err
	}
	res.CrossOrigin = req.CrossOrigin()
	for {
		needed, _, err := NeedsPreflight(req)
		if err != nil {
			return res, err
		}
		if needed {
			resp, err := c.send(ctx, res, req, PreflightRequest, true)
			if err != nil {
				return res, err
			}
			if err := CheckPreflight(req, resp); err != nil {
				return res, res.block(err)
			}
			if w := starCoversAuthorization(req, resp); w != "" {
				res.Warnings = append(res.Warnings, w)
			}
		}
		resp, err := c.send(ctx, res, req, ActualRequest, false)
		if err != nil {
			return res, err
		}
		next, err := Redirect(req, resp)
		if err != nil {
			return res, res.block(err)
		}
		if next == nil {
			if err := CheckResponse(req, resp); err != nil {
				return res, res.block(err)
			}
			res.Allowed = true
			res.ExposedHeaders = ExposedHeaders(req, resp)
			return res, nil
		}
		req = next
	}
}

// block records a blocking *Error, and passes any other error on.
func (res *Result) block(err error) error {
	var e *Error
	if errors.As(err, &e) {
		res.Error = e
		return nil
	}
	return err
}

// send builds a request with build, sends it and records the exchange.
func (c *Client) send(ctx context.Context, res *Result, req *Request, build func(*Request) (*http.Request, error), preflight bool) (*http.Response, error) {
	hr, err := build(req)
	if err != nil {
		return nil, err
	}
	hr = hr.WithContext(ctx)
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", hr.Method, hr.URL, err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxBody)
	resp.Body.Close()
	ex := Exchange{
		Method:        hr.Method,
		URL:           hr.URL.String(),
		RequestHeader: hr.Header,
		Status:        resp.StatusCode,
		Header:        resp.Header,
		Preflight:     preflight,
	}
	res.Exchanges = append(res.Exchanges, ex)
	if preflight {
		res.Preflight = &ex
	} else {
		res.Actual = &ex
	}
	return resp, nil
}

// starCoversAuthorization warns when a preflight let Authorization through
// only by "Access-Control-Allow-Headers: *": Chrome accepts that, but the
// Fetch standard says "*" never covers Authorization, and browsers that
// follow it block the request.
func starCoversAuthorization(req *Request, resp *http.Response) string {
	if _, ok := req.Header["Authorization"]; !ok {
		return ""
	}
	names, _, _ := parseList(resp.Header.Values("Access-Control-Allow-Headers"))
	star := false
	for _, n := range names {
		if strings.EqualFold(n, "authorization") {
			return ""
		}
		star = star || n == "*"
	}
	if !star {
		return ""
	}
	return "Access-Control-Allow-Headers: * let the Authorization header through, as Chrome does; the Fetch standard says * never covers Authorization, so browsers that follow it block this request. List it: Access-Control-Allow-Headers: *, Authorization (allow_headers: [\"*\", Authorization])."
}

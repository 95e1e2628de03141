package browser

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/crossgate/crossgate/internal/fetch"
)

// Warn looks at an allowed result for what lets this page in but should
// not, and adds a warning to res.Warnings for each:
//
//   - the server echoes any origin: asked again from a random origin that
//     no one would list, it allows that one too (with credentials, any site
//     can then read the user's data);
//   - the server allowed an origin the caller marks as untrusted (an
//     attacker's, such as https://evil.com);
//   - its answer depends on the origin but has no Vary: Origin, so a shared
//     cache can serve one origin's answer to another.
//
// The second request is the actual request again when its method is GET or
// HEAD, and a preflight otherwise, so that it changes nothing on the server.
// Warn changes neither the verdict nor the exchanges; an error means the
// second request got no answer, and the warnings found without it are kept.
func (c *Client) Warn(ctx context.Context, res *Result, untrusted bool) error {
	if res == nil || !res.Allowed || res.Actual == nil {
		return nil
	}
	acao := res.Actual.Header.Get("Access-Control-Allow-Origin")
	credentials := res.Actual.Header.Get("Access-Control-Allow-Credentials") == "true"
	if untrusted {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"The server allowed %s, an origin you marked as untrusted: a page there can read this response%s; allow only the origins your pages are served from",
			res.Origin, withCookies(credentials)))
	}
	if acao == "*" {
		// The same answer for every origin: nothing is reflected, and no
		// cache can serve a wrong one.
		return nil
	}
	other := randomOrigin()
	probeACAO, err := c.askAs(ctx, res, other)
	if err != nil {
		return err
	}
	if probeACAO == other {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"The server allows any origin: it also allowed %s, a random origin, by echoing it in Access-Control-Allow-Origin; any site can read this response%s; compare the Origin with a list of allowed origins (Crossgate: allow_origins)",
			other, withCookies(credentials)))
		if credentials {
			res.Warnings = append(res.Warnings,
				"The server allows credentials (Access-Control-Allow-Credentials: true) together with a reflected origin: a page on any site can make requests with the user's cookies and read the answers, as if * were allowed with credentials, which browsers refuse for that reason")
		}
	}
	if probeACAO != acao && !fetch.VaryNames(res.Actual.Header.Values("Vary"), "Origin") {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"The answer depends on the origin (%s got Access-Control-Allow-Origin: %q) but has no Vary: Origin: a shared cache (a CDN, a proxy) can serve this origin's answer to another; add Vary: Origin",
			other, probeACAO))
	}
	return nil
}

func withCookies(credentials bool) string {
	if credentials {
		return ", with the user's cookies"
	}
	return ""
}

// randomOrigin returns an origin no server lists: a random name under
// .example, which never resolves.
func randomOrigin() string {
	return "https://" + strings.ToLower(rand.Text()[:12]) + ".example"
}

// askAs sends the final request of res from origin, as a GET or HEAD
// again, or as a preflight for any other method, and returns the
// Access-Control-Allow-Origin of the answer.
func (c *Client) askAs(ctx context.Context, res *Result, origin string) (string, error) {
	req, err := NewRequest(res.Actual.URL, origin, res.Method, nil, res.Credentials)
	if err != nil {
		return "", err
	}
	build := PreflightRequest
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		build = ActualRequest
	}
	hr, err := build(req)
	if err != nil {
		return "", err
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(hr.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("%s %s from %s: %w", hr.Method, hr.URL, origin, err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxBody)
	resp.Body.Close()
	return resp.Header.Get("Access-Control-Allow-Origin"), nil
}

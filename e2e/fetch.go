package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/chromedp/chromedp"
)

// maxBody bounds the response body a Fetch returns, in UTF-16 code units.
const maxBody = 64 << 10

// A FetchRequest is the call fetch(URL, {method, headers, body, credentials,
// mode, redirect, cache}) that a page makes. Empty fields take fetch's
// defaults.
type FetchRequest struct {
	// URL is absolute, or relative to the page.
	URL    string
	Method string
	// Header is sent as the headers init; the browser lower-cases the
	// names and joins repeated values with ", ".
	Header http.Header
	// Body is sent when not empty; fetch refuses a body on GET and HEAD.
	Body string
	// Credentials is "omit", "same-origin" (fetch's default) or "include".
	Credentials string
	// Mode is "cors" (fetch's default), "no-cors" or "same-origin".
	Mode string
	// Redirect is "follow" (fetch's default), "error" or "manual".
	Redirect string
	// Cache is the request cache mode, for example "no-store".
	Cache string
	// Sandboxed runs the fetch in an <iframe sandbox="allow-scripts"> of
	// the page. Its origin is opaque, so the request carries Origin: null.
	// Chromium runs the frame in a process of its own, whose DevTools
	// events the page's tab does not receive: the result's Trace lacks the
	// request, and CorsError stays empty. The server is the witness.
	Sandboxed bool
}

// A FetchResult is what the page saw of a fetch, and what DevTools saw.
type FetchResult struct {
	// Error is the rejection of the fetch promise as the script sees it,
	// "TypeError: Failed to fetch" for a CORS failure; empty when the
	// promise resolved.
	Error string
	// OK, Status, StatusText, Type ("basic", "cors", "opaque",
	// "opaqueredirect"), Redirected and URL are the Response's attributes.
	OK         bool
	Status     int
	StatusText string
	Type       string
	Redirected bool
	URL        string
	// Header holds the response headers the script can read: the
	// CORS-safelisted ones and those in Access-Control-Expose-Headers.
	Header http.Header
	// Body is the response text, cut at 64 Ki characters (BodyTruncated).
	Body          string
	BodyTruncated bool

	// CorsError is the DevTools CORS error code of the failed request,
	// for example "MissingAllowOriginHeader" or "PreflightInvalidStatus",
	// and CorsErrorParameter the value it names; empty when CORS passed.
	CorsError          string
	CorsErrorParameter string
	// Preflighted reports whether the browser sent a preflight for the
	// request. Test servers can confirm it with a Recorder.
	Preflighted bool
	// Trace holds every request and console message of the call; Blocked
	// finds Chrome's "has been blocked by CORS policy" message.
	Trace
}

// fetchScript runs the fetch and reports its outcome as a plain object. It
// never rejects: a failure is data. Its arguments are the URL, the fetch's
// init and the longest body to return.
const fetchScript = `(async (url, init, maxBody) => {
  const out = {error: "", ok: false, status: 0, statusText: "", type: "", redirected: false, url: "", headers: [], body: "", truncated: false};
  try {
    const r = await fetch(url, init);
    out.ok = r.ok; out.status = r.status; out.statusText = r.statusText; out.type = r.type;
    out.redirected = r.redirected; out.url = r.url;
    for (const [k, v] of r.headers) out.headers.push([k, v]);
    const text = await r.text();
    out.body = text.slice(0, maxBody); out.truncated = text.length > maxBody;
  } catch (e) {
    out.error = String(e);
  }
  return out;
})`

// sandboxScript runs a fetch script, called with args, in a new
// <iframe sandbox="allow-scripts"> of the page, and resolves with the
// outcome the frame posts back.
const sandboxScript = `((script, args) => new Promise((resolve) => {
  const f = document.createElement("iframe");
  f.setAttribute("sandbox", "allow-scripts");
  const timer = setTimeout(() => done({error: "e2e: the sandboxed frame did not answer"}), 10000);
  function done(v) { clearTimeout(timer); window.removeEventListener("message", onMessage); f.remove(); resolve(v); }
  function onMessage(e) { if (e.source === f.contentWindow) done(e.data); }
  window.addEventListener("message", onMessage);
  const body = script + "(..." + JSON.stringify(args) + ").then((out) => parent.postMessage(out, '*'))";
  f.srcdoc = "<script>" + body.replaceAll("</", "<\\/") + "</scr" + "ipt>";
  document.body.appendChild(f);
}))`

type fetchOutcome struct {
	Error      string      `json:"error"`
	OK         bool        `json:"ok"`
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Type       string      `json:"type"`
	Redirected bool        `json:"redirected"`
	URL        string      `json:"url"`
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body"`
	Truncated  bool        `json:"truncated"`
}

// Fetch runs req with fetch() in the page pageURL, whose origin is the
// request's origin, and reports the outcome. The page is served by the test,
// for example with ServePage; its tab is opened on first use and reused by
// later calls. An error means the harness could not run the fetch; a fetch
// that fails in the page is a result with Error set.
func (b *Browser) Fetch(ctx context.Context, pageURL string, req FetchRequest) (FetchResult, error) {
	expr, err := fetchExpression(req)
	if err != nil {
		return FetchResult{}, err
	}
	var out fetchOutcome
	trace, err := b.run(ctx, pageURL, false, func(ctx context.Context) error {
		out, err = chromedp.Run(ctx, chromedp.Evaluate[fetchOutcome](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			return fmt.Errorf("e2e: fetch %s from %s: %w", req.URL, pageURL, err)
		}
		return nil
	})
	if err != nil {
		return FetchResult{}, err
	}
	res := FetchResult{
		Error:         out.Error,
		OK:            out.OK,
		Status:        out.Status,
		StatusText:    out.StatusText,
		Type:          out.Type,
		Redirected:    out.Redirected,
		URL:           out.URL,
		Header:        make(http.Header, len(out.Headers)),
		Body:          out.Body,
		BodyTruncated: out.Truncated,
		Trace:         trace,
	}
	for _, h := range out.Headers {
		res.Header.Add(h[0], h[1])
	}
	res.Preflighted, res.CorsError, res.CorsErrorParameter = trace.CorsOutcome()
	return res, nil
}

// fetchExpression builds the script call for req, passing every value as JSON
// so that no request field can change the script.
func fetchExpression(req FetchRequest) (string, error) {
	if req.URL == "" {
		return "", fmt.Errorf("e2e: FetchRequest.URL is empty")
	}
	init := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			init[k] = v
		}
	}
	set("method", req.Method)
	set("body", req.Body)
	set("credentials", req.Credentials)
	set("mode", req.Mode)
	set("redirect", req.Redirect)
	set("cache", req.Cache)
	if len(req.Header) > 0 {
		pairs := [][2]string{}
		for _, k := range slices.Sorted(maps.Keys(req.Header)) {
			for _, v := range req.Header[k] {
				pairs = append(pairs, [2]string{k, v})
			}
		}
		init["headers"] = pairs
	}
	args, err := json.Marshal([]any{req.URL, init, maxBody})
	if err != nil {
		return "", fmt.Errorf("e2e: encode fetch: %w", err)
	}
	if req.Sandboxed {
		script, err := json.Marshal(fetchScript)
		if err != nil {
			return "", fmt.Errorf("e2e: encode fetch: %w", err)
		}
		return sandboxScript + "(" + string(script) + ", " + string(args) + ")", nil
	}
	return fetchScript + "(..." + string(args) + ")", nil
}

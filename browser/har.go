package browser

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/internal/fetch"
)

// MaxHARSize bounds the HAR file ReadHAR accepts.
const MaxHARSize = 64 << 20

// HAREntry is one request and response of a DevTools HAR export, reduced to
// what the CORS checks read.
type HAREntry struct {
	Method         string
	URL            string
	RequestHeader  http.Header
	Status         int
	ResponseHeader http.Header
}

// ReadHAR parses a HAR 1.2 export (DevTools' "Save all as HAR"). It reads at
// most MaxHARSize bytes.
func ReadHAR(r io.Reader) ([]HAREntry, error) {
	var doc struct {
		Log struct {
			Entries []struct {
				Request struct {
					Method  string      `json:"method"`
					URL     string      `json:"url"`
					Headers []harHeader `json:"headers"`
				} `json:"request"`
				Response struct {
					Status  int         `json:"status"`
					Headers []harHeader `json:"headers"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxHARSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxHARSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxHARSize>>20)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a HAR file: %w", err)
	}
	entries := make([]HAREntry, 0, len(doc.Log.Entries))
	for i, e := range doc.Log.Entries {
		if e.Request.Method == "" || e.Request.URL == "" {
			return nil, fmt.Errorf("entry %d has no request method or URL", i)
		}
		entries = append(entries, HAREntry{
			Method:         e.Request.Method,
			URL:            e.Request.URL,
			RequestHeader:  harHeaders(e.Request.Headers),
			Status:         e.Response.Status,
			ResponseHeader: harHeaders(e.Response.Headers),
		})
	}
	return entries, nil
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func harHeaders(hs []harHeader) http.Header {
	h := make(http.Header, len(hs))
	for _, x := range hs {
		// HTTP/2 exports carry pseudo-headers (":authority"); they are not
		// headers a script or server sees.
		if x.Name == "" || strings.HasPrefix(x.Name, ":") {
			continue
		}
		h.Add(x.Name, x.Value)
	}
	return h
}

// HARCheck is the verdict on one cross-origin request of a HAR export.
type HARCheck struct {
	// Entry is the index of the request's entry in the export.
	Entry  int    `json:"entry"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Origin string `json:"origin"`
	// Preflight is the index of the preflight entry checked with it, or -1.
	Preflight int `json:"preflight"`
	// Allowed reports whether the recorded responses pass the browser's
	// checks.
	Allowed bool   `json:"allowed"`
	Error   *Error `json:"error,omitempty"`
}

// CheckHAR runs the browser's checks on every cross-origin request recorded
// in a HAR export: its preflight, when the export holds one, then its
// response. The credentials mode is taken as "include" when the request
// carried a Cookie header, since a HAR does not record the mode itself.
//
// A request's preflight is the closest earlier OPTIONS entry, not yet paired
// with another request, for the same URL and origin, whose
// Access-Control-Request-Method is the request's method and whose
// Access-Control-Request-Headers names only headers the request carries. A
// request without one needed none, or rode on the browser's preflight cache;
// only its response is checked.
//
// The recorded request headers include those the browser adds itself
// (User-Agent, Referer, ...), which a HAR does not tell from the script's.
// The preflight's Access-Control-Request-Headers does: the check takes the
// request's unsafe headers to be the ones it names.
func CheckHAR(entries []HAREntry) []HARCheck {
	var out []HARCheck
	paired := make([]bool, len(entries))
	for i, e := range entries {
		origin := e.RequestHeader.Get("Origin")
		if origin == "" || isPreflightEntry(e) {
			continue
		}
		u, err := url.Parse(e.URL)
		if err != nil || serializeOrigin(u) == origin {
			continue
		}
		header := http.Header{}
		for k, v := range e.RequestHeader {
			if !fetch.ForbiddenRequestHeader(k, v) {
				header[k] = v
			}
		}
		c := HARCheck{Entry: i, Method: e.Method, URL: e.URL, Origin: origin, Preflight: -1}
		if j, asked := findPreflight(entries[:i], paired, e, header); j >= 0 {
			c.Preflight = j
			paired[j] = true
			for _, name := range UnsafeHeaderNames(header) {
				if !containsFold(asked, name) {
					header.Del(name)
				}
			}
		}
		req, err := NewRequest(e.URL, origin, e.Method, header, e.RequestHeader.Get("Cookie") != "")
		if err != nil {
			continue
		}
		if c.Preflight >= 0 {
			err = CheckPreflight(req, harResponse(entries[c.Preflight]))
		}
		if err == nil {
			err = CheckResponse(req, harResponse(e))
		}
		c.Allowed = err == nil
		if err != nil {
			c.Error, _ = err.(*Error)
		}
		out = append(out, c)
	}
	return out
}

// findPreflight returns the index of e's preflight among earlier, the
// entries before e, and the header names it asked for; -1 when there is
// none. header is e's request headers less the forbidden ones.
func findPreflight(earlier []HAREntry, paired []bool, e HAREntry, header http.Header) (int, []string) {
	origin := e.RequestHeader.Get("Origin")
	for j := len(earlier) - 1; j >= 0; j-- {
		p := earlier[j]
		if paired[j] || !isPreflightEntry(p) || p.URL != e.URL || p.RequestHeader.Get("Origin") != origin ||
			p.RequestHeader.Get("Access-Control-Request-Method") != e.Method {
			continue
		}
		asked, _, _ := parseList(p.RequestHeader.Values("Access-Control-Request-Headers"))
		if !slices.ContainsFunc(asked, func(n string) bool { return header.Values(n) == nil }) {
			return j, asked
		}
	}
	return -1, nil
}

func isPreflightEntry(e HAREntry) bool {
	return e.Method == http.MethodOptions && e.RequestHeader.Get("Access-Control-Request-Method") != ""
}

func harResponse(e HAREntry) *http.Response {
	return &http.Response{StatusCode: e.Status, Header: e.ResponseHeader}
}

package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/h1"
)

// hopHeaders are the hop-by-hop headers of RFC 9110 (and their common
// predecessors): they describe one connection and are never forwarded.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Header values the outgoing request shares with every other: the
// transport only reads them, and the map they sit in is the request's own.
var (
	noUserAgent = []string{""}
	protoHTTP   = []string{"http"}
	protoHTTPS  = []string{"https"}
)

// isUpgrade reports whether r asks to switch protocols (WebSocket), which
// the gateway's httputil.ReverseProxy tunnels.
func isUpgrade(r *http.Request) bool {
	return h1.HeaderHasToken(r.Header["Connection"], "upgrade")
}

// proxy sends r to the route's upstream and copies the answer to w. It does
// what httputil.ReverseProxy does for an ordinary request (hop-by-hop
// headers removed both ways, X-Forwarded-* set, the body streamed, trailers
// passed on) with less copying: on a gateway that forwards every request,
// ReverseProxy's own work was a tenth of the CPU. Upgrades go through the
// gateway's ReverseProxy.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, rt *route, d *cors.Decision) {
	if isUpgrade(r) {
		g.upgrades.ServeHTTP(w, withRoute(r, rt))
		return
	}
	out := g.outgoing(r, rt)
	start := time.Now()
	resp, err := g.send(out, rt, start)
	rt.metrics.observeUpstream(time.Since(start))
	if err != nil {
		g.upstreamError(w, r, rt, d, err)
		return
	}
	defer resp.Body.Close()
	removeHopHeaders(resp.Header)
	g.modify(rt, resp, d)
	h := w.Header()
	for k, vv := range resp.Header {
		if old := h[k]; len(old) > 0 {
			h[k] = append(old[:len(old):len(old)], vv...)
		} else {
			// The response's own slices: nothing else refers to them.
			h[k] = vv
		}
	}
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		h["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)

	buf := g.buffers.Get()
	defer g.buffers.Put(buf)
	// Stream what arrives as it arrives when the length is unknown (event
	// streams, long polls); otherwise let the server buffer.
	flush := resp.ContentLength < 0 || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	rc := http.NewResponseController(w)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flush {
				_ = rc.Flush()
			}
		}
		if rerr != nil {
			if h1.ClientGone(r) {
				// The client left, which stopped the upstream's body:
				// nobody is there to tell.
				return
			}
			if !errors.Is(rerr, io.EOF) {
				// The upstream broke off mid-body; the status is sent, so
				// all the client can learn is a truncated response.
				g.log.Warn("upstream body interrupted", "route", rt.id, "error", rerr.Error())
				panic(http.ErrAbortHandler)
			}
			break
		}
	}
	for k, vv := range resp.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
}

// outgoing builds the request sent upstream, but for its URL, which is
// still r's: send points it at a target.
func (g *Gateway) outgoing(r *http.Request, rt *route) *http.Request {
	out := new(http.Request)
	*out = *r // the same context: a client that goes away cancels the upstream request
	out.Host = ""
	out.RequestURI = ""
	out.Close = false
	if r.ContentLength == 0 {
		out.Body = nil // no body: the transport may retry the request
	}

	h := make(http.Header, len(r.Header)+3)
	for k, vv := range r.Header {
		h[k] = vv
	}
	removeHopHeaders(h)
	if te := r.Header["Te"]; len(te) > 0 && h1.HeaderHasToken(te, "trailers") {
		h["Te"] = []string{"trailers"}
	}
	if _, ok := h["User-Agent"]; !ok {
		// Keep Go's client from announcing itself for the browser.
		h["User-Agent"] = noUserAgent
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
			h["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
		} else {
			h["X-Forwarded-For"] = []string{ip}
		}
	} else {
		delete(h, "X-Forwarded-For")
	}
	h["X-Forwarded-Host"] = []string{r.Host}
	if r.TLS != nil {
		h["X-Forwarded-Proto"] = protoHTTPS
	} else {
		h["X-Forwarded-Proto"] = protoHTTP
	}
	out.Header = h
	return out
}

// targetURL is the URL of the request for in on target: the target's
// scheme, host and path before in's path, less the route's prefix when it
// strips it.
func targetURL(in *url.URL, rt *route, target *url.URL) *url.URL {
	u := *in
	u.Scheme, u.Host = target.Scheme, target.Host
	path := in.Path
	if rt.stripPrefix && rt.prefix != "" {
		path = strings.TrimPrefix(path, rt.prefix)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u.RawPath = ""
	}
	u.Path = singleJoin(target.Path, path)
	if u.RawPath != "" {
		u.RawPath = singleJoin(target.EscapedPath(), u.RawPath)
	}
	if target.RawQuery != "" {
		u.RawQuery = joinQuery(target.RawQuery, u.RawQuery)
	}
	return &u
}

// removeHopHeaders deletes the hop-by-hop headers of h, including those
// that its Connection header names. The value slices of h may be shared
// with the incoming request, so h's map is changed but never its slices.
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				delete(h, http.CanonicalHeaderKey(name))
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

func joinQuery(a, b string) string {
	if b == "" {
		return a
	}
	return a + "&" + b
}

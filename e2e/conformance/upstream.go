package conformance

import (
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crossgate/crossgate/e2e"
)

// slowFor is how long the /slow endpoint waits before answering; routes that
// use it set an upstream timeout well below it, so the gateway gives up
// first and answers 504.
const slowFor = 3 * time.Second

// An Upstream is the loopback API behind the gateway. It records every
// request, so that a test can assert what reached it ("the upstream saw no
// preflight", "the second hop carried Origin: null").
//
// Its behaviour is chosen by the first path segment after the route prefix,
// so that one upstream serves every scenario: /PREFIX/ACTION/...
//
//   - echo: 200 "ok" with X-Request-Id: 42 and X-Internal: hidden.
//   - own-cors: the upstream does CORS itself: it reflects any Origin with
//     credentials, and answers preflights with 204, the requested method and
//     headers, and Access-Control-Max-Age: 600.
//   - star: 200 with Access-Control-Allow-Origin: *, as a service with a
//     blanket CORS setting of its own does.
//   - set-cookie?name=N: sets the cookie N=1 with SameSite=None; Secure.
//   - whoami: answers with the request's Cookie header as its body.
//   - cacheable: 200 with Cache-Control: max-age=60, for browser HTTP cache
//     scenarios.
//   - hop/HOST/REST...: a 302 to the gateway under HOST.example.test (same
//     scheme and port as this request reached the gateway), path
//     /PREFIX/REST..., so that redirect chains across origins need no
//     knowledge of ports.
//   - slow: answers after slowFor, or when the client gives up.
//
// Any other action answers 404.
type Upstream struct {
	// Server is the upstream's listener, plain HTTP on 127.0.0.1.
	Server *e2e.Server
	// Recorder saw every request that reached the upstream.
	Recorder *e2e.Recorder
}

// StartUpstream starts the API on a free loopback port.
func StartUpstream() *Upstream {
	rec := e2e.NewRecorder(http.HandlerFunc(serveAPI))
	return &Upstream{Server: e2e.NewServer("127.0.0.1", rec), Recorder: rec}
}

// Close stops the upstream.
func (u *Upstream) Close() { u.Server.Close() }

func serveAPI(w http.ResponseWriter, r *http.Request) {
	// Path: /PREFIX/ACTION/REST...
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) < 2 {
		http.NotFound(w, r)
		return
	}
	prefix, action, rest := segs[0], segs[1], segs[2:]
	h := w.Header()
	switch action {
	case "echo":
		h.Set("X-Request-Id", "42")
		h.Set("X-Internal", "hidden")
		io.WriteString(w, "ok")
	case "own-cors":
		if o := r.Header.Get("Origin"); o != "" {
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
			if v := r.Header.Get("Access-Control-Request-Headers"); v != "" {
				h.Set("Access-Control-Allow-Headers", v)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, "own")
	case "star":
		h.Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "star")
	case "set-cookie":
		name := r.URL.Query().Get("name")
		if name == "" {
			http.Error(w, "set-cookie needs ?name=", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: name, Value: "1", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteNoneMode})
		io.WriteString(w, "set")
	case "whoami":
		io.WriteString(w, r.Header.Get("Cookie"))
	case "cacheable":
		h.Set("Cache-Control", "max-age=60")
		io.WriteString(w, "cached")
	case "hop":
		if len(rest) < 2 {
			http.Error(w, "hop needs HOST/REST", http.StatusBadRequest)
			return
		}
		_, port, err := net.SplitHostPort(r.Header.Get("X-Forwarded-Host"))
		proto := r.Header.Get("X-Forwarded-Proto")
		if err != nil || proto == "" {
			http.Error(w, "hop needs X-Forwarded-Host with a port and X-Forwarded-Proto", http.StatusBadRequest)
			return
		}
		target := proto + "://" + net.JoinHostPort(rest[0]+".example.test", port) + "/" + prefix + "/" + strings.Join(rest[1:], "/")
		http.Redirect(w, r, target, http.StatusFound)
	case "slow":
		t := time.NewTimer(slowFor)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		io.WriteString(w, "late")
	default:
		http.NotFound(w, r)
	}
}

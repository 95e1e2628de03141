package e2e

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
)

// blankPage is the document of every page origin: a script context and
// nothing else, so that the browser makes no requests of its own.
const blankPage = `<!doctype html><html><head><meta charset="utf-8"><title>e2e</title>` +
	`<link rel="icon" href="data:,"></head><body></body></html>`

// ServePage answers with a minimal HTML page, whatever the path. Mount it where
// a test needs a document to run scripts from; a same-origin test can mount it
// next to its API handlers. The page declares an empty icon so that the
// browser does not request /favicon.ico.
func ServePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, blankPage)
}

// A Server is an HTTP test server on 127.0.0.1 that the browser reaches under
// a test host name: its URL says http://HOST:PORT, and the browser's host
// resolver rules map HOST to 127.0.0.1.
type Server struct {
	// URL is the base URL under the host name, without a trailing slash,
	// for example "http://api.example.test:41234".
	URL string
	// Origin is the serialized origin of URL, for comparisons with
	// Access-Control-Allow-Origin; it equals URL.
	Origin string
	// Addr is the listener's address, for example "127.0.0.1:41234", for
	// clients that do not resolve the host name themselves.
	Addr string

	srv  *httptest.Server
	stop func()
}

// Listening names a server that something else runs on addr (a loopback
// address), for example the gateway's own HTTP/1.1 server; stop is what
// Close calls.
func Listening(host string, addr net.Addr, stop func()) *Server {
	_, port, _ := net.SplitHostPort(addr.String())
	u := "http://" + net.JoinHostPort(host, port)
	return &Server{URL: u, Origin: u, Addr: addr.String(), stop: stop}
}

// NewServer starts h on a free port of 127.0.0.1 and names it host. The host
// must be one the Browser maps to 127.0.0.1 (any *.test name by default), or
// "localhost" or "127.0.0.1".
func NewServer(host string, h http.Handler) *Server {
	return start(host, h, false)
}

// NewTLSServer is NewServer over HTTPS with a self-signed certificate. The
// browser accepts the certificate only when launched with
// Options.IgnoreCertificateErrors.
func NewTLSServer(host string, h http.Handler) *Server {
	return start(host, h, true)
}

func start(host string, h http.Handler, tls bool) *Server {
	srv := httptest.NewUnstartedServer(h)
	scheme := "http"
	if tls {
		srv.StartTLS()
		scheme = "https"
	} else {
		srv.Start()
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	u := scheme + "://" + net.JoinHostPort(host, port)
	return &Server{URL: u, Origin: u, Addr: srv.Listener.Addr().String(), srv: srv}
}

// Close shuts the server down and waits for its requests to finish.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
		return
	}
	s.srv.Close()
}

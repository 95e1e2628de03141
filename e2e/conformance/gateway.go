package conformance

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/e2e"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/h1"
)

// A Gateway is a Crossgate gateway served in-process on loopback, over plain
// HTTP and over HTTPS at once, under one test host name. A Recorder in front
// of it sees every request the browser sent, preflights included: in gateway
// mode the upstream never sees a preflight, so this is where they are
// counted.
type Gateway struct {
	// Gateway is the handler; Swap changes its config.
	*gateway.Gateway
	// Recorder saw every request that reached the gateway.
	Recorder *e2e.Recorder
	// HTTP and HTTPS are the two listeners, for example
	// http://api.example.test:41234 and https://api.example.test:41235.
	// HTTPS has a self-signed certificate: the browser needs
	// e2e.Options.IgnoreCertificateErrors.
	HTTP, HTTPS *e2e.Server
}

// StartGateway builds a gateway from cfg and serves it on two free loopback
// ports, named host.
func StartGateway(host string, cfg *config.Config) (*Gateway, error) {
	gw, err := gateway.New(cfg, gateway.Options{})
	if err != nil {
		return nil, fmt.Errorf("conformance: gateway: %w", err)
	}
	rec := e2e.NewRecorder(gw)
	plain, err := servePlain(host, rec)
	if err != nil {
		return nil, err
	}
	return &Gateway{
		Gateway:  gw,
		Recorder: rec,
		HTTP:     plain,
		HTTPS:    e2e.NewTLSServer(host, rec),
	}, nil
}

// servePlain serves h over plain HTTP the way crossgate serve does, with
// the gateway's own HTTP/1.1 server in front of net/http.
func servePlain(host string, h http.Handler) (*e2e.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("conformance: listen: %w", err)
	}
	srv := h1.NewServer(&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}, nil)
	go srv.Serve(ln)
	return e2e.Listening(host, ln.Addr(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}), nil
}

// ParseGateway parses a YAML config, as a file would give it, and starts a
// gateway from it.
func ParseGateway(host, yaml string) (*Gateway, error) {
	cfg, err := config.Parse("conformance.yaml", []byte(yaml))
	if err != nil {
		return nil, fmt.Errorf("conformance: config: %w", err)
	}
	return StartGateway(host, cfg)
}

// URL returns the base URL of the listener for scheme, "http" or "https".
func (g *Gateway) URL(scheme string) string {
	if scheme == "https" {
		return g.HTTPS.URL
	}
	return g.HTTP.URL
}

// Close stops both listeners.
func (g *Gateway) Close() {
	g.HTTP.Close()
	g.HTTPS.Close()
}

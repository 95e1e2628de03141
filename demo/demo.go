// Package demo runs Crossgate in front of a small sample API, with two web
// pages on other origins that call it: one allowed by the gateway's policy
// and one not. Everything listens on loopback.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/h1"
)

// Options choose the demo's ports. Zero ports pick free ones.
type Options struct {
	GatewayPort int // the gateway, on 127.0.0.1
	AllowedPort int // the allowed page, served on localhost
	OtherPort   int // the other page, served on 127.0.0.1
	AdminPort   int // the admin listener with the console, on 127.0.0.1
	Logger      *slog.Logger
	// Calls receives one line for each request the gateway serves (the
	// pages' calls), with its CORS decision and reason; nil writes none.
	Calls io.Writer
}

// Demo is a running demo.
type Demo struct {
	// GatewayURL is the gateway's base URL.
	GatewayURL string
	// AllowedPage is the page whose origin the policy allows.
	AllowedPage string
	// OtherPage is the page whose origin the policy does not allow.
	OtherPage string
	// API is the URL of the sample API through the gateway, which the
	// pages call.
	API string
	// Policy is the gateway's CORS policy for the API, as config lines.
	Policy string
	// ConsoleURL is the web console of the admin listener, which shows
	// the gateway's CORS decisions as the pages make them.
	ConsoleURL string

	servers []func(context.Context) error // each server's Shutdown
	serve   chan error
}

// Start starts the sample API, the gateway and both pages. ctx bounds the
// start-up only; Wait and Close stop the demo.
func Start(ctx context.Context, o Options) (*Demo, error) {
	lns, err := listen(ctx,
		"127.0.0.1:0", // the sample API
		hostPort("127.0.0.1", o.GatewayPort),
		hostPort("localhost", o.AllowedPort),
		hostPort("127.0.0.1", o.OtherPort),
		hostPort("127.0.0.1", o.AdminPort))
	if err != nil {
		return nil, err
	}
	apiLn, gwLn, allowedLn, otherLn, adminLn := lns[0], lns[1], lns[2], lns[3], lns[4]
	d := &Demo{serve: make(chan error, len(lns))}
	d.GatewayURL = "http://127.0.0.1:" + port(gwLn)
	allowedOrigin := "http://localhost:" + port(allowedLn)
	d.AllowedPage = allowedOrigin + "/"
	d.OtherPage = "http://127.0.0.1:" + port(otherLn) + "/"
	d.API = d.GatewayURL + "/api/users/42"
	d.Policy = fmt.Sprintf(demoPolicy, allowedOrigin)
	d.ConsoleURL = "http://127.0.0.1:" + port(adminLn) + "/ui/"

	cfg, err := config.Parse("demo.yaml", []byte(fmt.Sprintf(demoConfig, gwLn.Addr(), indent(d.Policy, "    "), apiLn.Addr())))
	if err != nil {
		closeAll(lns)
		return nil, fmt.Errorf("demo config: %w", err)
	}
	var calls io.Writer
	if o.Calls != nil {
		calls = &callLog{out: o.Calls}
	}
	recent := &decisions.Log{}
	gw, err := gateway.New(cfg, gateway.Options{Logger: o.Logger, AccessLog: calls, Decisions: recent})
	if err != nil {
		closeAll(lns)
		return nil, err
	}
	d.run(apiLn, sampleAPI(d))
	d.runGateway(gwLn, gw)
	d.runAdmin(adminLn, admin.Handler(admin.Options{
		Metrics: gw.Metrics().Registry, Config: gw.Config, Explain: gw.Explain, Decisions: recent,
	}))
	d.run(allowedLn, page("Allowed page", allowedOrigin, d.API, true))
	d.run(otherLn, page("Other page", strings.TrimSuffix(d.OtherPage, "/"), d.API, false))
	return d, nil
}

// demoPolicy is the API's CORS policy: the allowed page's origin may call
// it with credentials, a JSON body and Authorization; nothing else may.
const demoPolicy = `allow_origins: [%s]
allow_methods: [GET, POST, PUT, DELETE]
allow_headers: [Content-Type, Authorization]
expose_headers: [X-Request-Id]
allow_credentials: true
max_age: 600
`

// demoConfig is the gateway's config: the API under the policy, and the
// demo's home page at /, which no page calls, without CORS.
const demoConfig = `
listen: %s
policies:
  web:
%s
upstreams:
  api: {targets: [http://%s], timeout: 5s}
routes:
  - id: api
    path_prefix: /api/
    upstream: api
    cors: web
  - id: home
    path: /
    upstream: api
    cors: off
`

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix)
}

func (d *Demo) run(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	d.start(ln, srv.Serve, srv.Shutdown)
}

// runAdmin serves the admin listener as crossgate serve does.
func (d *Demo) runAdmin(ln net.Listener, h http.Handler) {
	srv := gateway.NewAdminServer(h)
	d.start(ln, srv.Serve, srv.Shutdown)
}

// runGateway serves the gateway as crossgate serve does on plain HTTP.
func (d *Demo) runGateway(ln net.Listener, h http.Handler) {
	srv := h1.NewServer(&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, nil)
	d.start(ln, srv.Serve, srv.Shutdown)
}

func (d *Demo) start(ln net.Listener, serve func(net.Listener) error, shutdown func(context.Context) error) {
	d.servers = append(d.servers, shutdown)
	go func() {
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.serve <- err
		}
	}()
}

// Wait blocks until ctx is done or a server fails, then stops everything.
func (d *Demo) Wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-d.serve:
	}
	d.Close()
	return err
}

// Close stops every server of the demo.
func (d *Demo) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, shutdown := range d.servers {
		_ = shutdown(ctx)
	}
}

// listen opens a TCP listener on each address, or none: on an error it
// closes those it opened.
func listen(ctx context.Context, addrs ...string) ([]net.Listener, error) {
	var lc net.ListenConfig
	lns := make([]net.Listener, 0, len(addrs))
	for _, a := range addrs {
		ln, err := lc.Listen(ctx, "tcp", a)
		if err != nil {
			closeAll(lns)
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

func hostPort(host string, p int) string {
	return net.JoinHostPort(host, fmt.Sprint(p))
}

func port(ln net.Listener) string {
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// sampleAPI is the upstream: it knows nothing about CORS and even sets a
// careless header of its own, which the gateway replaces. It also serves
// the demo's home page, which links everything.
func sampleAPI(d *Demo) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", home(d))
	mux.HandleFunc("/api/users/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", time.Now().UnixNano()))
		w.Header().Set("Content-Type", "application/json")
		body := map[string]any{"method": r.Method, "path": r.URL.Path, "authorized": r.Header.Get("Authorization") != ""}
		if r.Method == http.MethodPut {
			var in map[string]any
			_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in)
			body["received"] = in
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	return mux
}

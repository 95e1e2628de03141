package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/internal/h1"
	"github.com/prometheus/client_golang/prometheus"
)

// DrainTimeout bounds how long a stopping server waits for requests in
// flight.
const DrainTimeout = 30 * time.Second

// Server runs a Gateway on its listeners and keeps its config current.
type Server struct {
	Store  config.Store
	Logger *slog.Logger
	// AccessLog receives one JSON line per request; nil writes none.
	AccessLog io.Writer
	// Reload, when set, asks for a reload on each receive (SIGHUP).
	Reload <-chan struct{}
	// Check, when set, vets every config before it is served (crossgate
	// serve refuses configs with lint errors); an error refuses the config
	// like an invalid one.
	Check func(*config.Config) error
	// Ready, when set, receives the gateway's and the admin listener's
	// addresses once both accept connections.
	Ready func(gateway, admin net.Addr)

	gw       *Gateway
	recent   *decisions.Log
	current  atomic.Pointer[config.Config]
	draining atomic.Bool
}

// Run loads the config, listens, and serves until ctx is done; then it stops
// accepting connections and waits up to DrainTimeout for requests in
// flight. An invalid initial config is returned as is (a config.Errors
// lists every problem).
func (s *Server) Run(ctx context.Context) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Watch before the first Load, so that no change falls in between.
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	changes, werr := s.Store.Watch(wctx)
	if werr != nil {
		log.Warn("config is not watched; SIGHUP still reloads", "error", werr.Error())
	}
	cfg, err := s.load(ctx)
	if err != nil {
		return err
	}
	if cfg.Admin != nil && cfg.Admin.Listen != "" {
		s.recent = &decisions.Log{}
	}
	s.gw, err = New(cfg, Options{Logger: log, AccessLog: s.AccessLog, Decisions: s.recent})
	if err != nil {
		return err
	}
	defer s.gw.Close()
	s.current.Store(cfg)
	if c, ok := s.Store.(prometheus.Collector); ok {
		// A cluster store's own metrics: applied revision, source up.
		if err := s.gw.metrics.Registry.Register(c); err != nil {
			return fmt.Errorf("store metrics: %w", err)
		}
	}
	releaseGarbage()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway listener: %w", err)
	}
	maxHead := cfg.Limits.MaxHeaderBytes
	if maxHead == 0 {
		maxHead = config.DefaultMaxHeaderBytes
	}
	srv := &http.Server{
		Handler:           s.gw,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHead,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS != nil {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var admin *http.Server
	var adminAddr net.Addr
	if cfg.Admin != nil && cfg.Admin.Listen != "" {
		aln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listener: %w", err)
		}
		adminAddr = aln.Addr()
		h, err := s.adminHandler(cfg.Admin)
		if err != nil {
			ln.Close()
			aln.Close()
			return err
		}
		admin = NewAdminServer(h)
		go func() { _ = admin.Serve(aln) }()
	}
	log.Info("gateway listening", "addr", ln.Addr().String(), "tls", cfg.TLS != nil, "routes", len(cfg.Routes), "revision", cfg.Revision)
	if s.Ready != nil {
		s.Ready(ln.Addr(), adminAddr)
	}

	// Plain HTTP goes through h1.Server, which hands whatever is not a
	// plain HTTP/1.1 request to srv; TLS (and with it HTTP/2) is srv's.
	serve, shutdown := srv.Serve, srv.Shutdown
	if srv.TLSConfig != nil {
		// ServeTLS also offers HTTP/2 through ALPN.
		serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
	} else {
		h1s := h1.NewServer(srv, log)
		h1s.MaxConns = cfg.Limits.MaxConnections
		serve, shutdown = h1s.Serve, h1s.Shutdown
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- serve(ln) }()

	for {
		select {
		case <-ctx.Done():
			s.draining.Store(true)
			log.Info("draining", "timeout", DrainTimeout.String())
			sctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
			defer cancel()
			err := shutdown(sctx)
			if admin != nil {
				_ = admin.Shutdown(sctx)
			}
			return err
		case err := <-serveErr:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case _, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			s.reload(ctx, log, cfg)
		case <-s.Reload:
			s.reload(ctx, log, cfg)
		}
	}
}

// reload loads the config again and swaps it in if it is valid; an invalid
// one is logged with every error, and the last good config keeps serving.
func (s *Server) reload(ctx context.Context, log *slog.Logger, first *config.Config) {
	cfg, err := s.load(ctx)
	if err == nil {
		err = s.gw.Swap(cfg)
	}
	if err != nil {
		s.gw.metrics.Reload(false)
		log.Error("config reload refused; the last good config keeps serving", "error", err.Error())
		return
	}
	s.gw.metrics.Reload(true)
	s.current.Store(cfg)
	releaseGarbage()
	if cfg.Listen != first.Listen || (cfg.TLS == nil) != (first.TLS == nil) {
		log.Warn("listen and tls changes take effect on restart")
	}
	log.Info("config reloaded", "revision", cfg.Revision, "routes", len(cfg.Routes))
}

// releaseGarbage collects the garbage of loading a config and returns its
// memory to the system. Parsing 100,000 routes makes about 600 MB of
// garbage, which a collector tuned for request garbage (serve's GOGC=400)
// would otherwise keep mapped as headroom: serving 100,000 routes under
// load, crossgate serve held 660 MB of RSS without it and 380 MB with it.
// A reload is rare enough to pay for one collection.
func releaseGarbage() { debug.FreeOSMemory() }

// load reads the store's config and vets it.
func (s *Server) load(ctx context.Context) (*config.Config, error) {
	cfg, err := s.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	if s.Check != nil {
		if err := s.Check(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// Gateway returns the running gateway, once Run has built it.
func (s *Server) Gateway() *Gateway { return s.gw }

// NewAdminServer returns the server of an admin listener that serves h.
// Shutting it down ends the console's event streams, which would otherwise
// hold the drain for as long as a console stays open.
func NewAdminServer(h http.Handler) *http.Server {
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	srv.RegisterOnShutdown(cancel)
	return srv
}

// Config returns the config the gateway serves, once Run has loaded it.
func (s *Server) Config() *config.Config { return s.current.Load() }

// adminHandler serves the admin listener. The Admin API's keys are read at
// start, like the listeners; with a cluster store the API changes the
// cluster's config, else it is read-only.
func (s *Server) adminHandler(a *config.Admin) (http.Handler, error) {
	auth, err := admin.NewAuth(a.Keys)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	o := admin.Options{
		Metrics: s.gw.metrics.Registry,
		Ready:   func() bool { return !s.draining.Load() },
		Targets: func() []admin.Target {
			var out []admin.Target
			for _, t := range s.gw.Targets() {
				out = append(out, admin.Target{Upstream: t.Upstream, URL: t.Target, Up: t.Up, Why: t.Why})
			}
			return out
		},
		Auth:      auth,
		Config:    s.Config,
		Explain:   s.gw.Explain,
		Decisions: s.recent,
	}
	if rs, ok := s.Store.(config.ResourceStore); ok {
		o.Store = rs
	}
	if r, ok := s.Store.(interface{ Ready() error }); ok {
		o.ConfigReady = r.Ready
	}
	if r, ok := s.Store.(interface{ Serving() string }); ok {
		o.ConfigServing = r.Serving
	}
	return admin.Handler(o), nil
}

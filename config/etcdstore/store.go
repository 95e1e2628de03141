// Package etcdstore is the cluster store of Crossgate: every node of a
// cluster reads its policies, upstreams, routes and defaults from one etcd
// cluster, and the Admin API and `crossgate config push` change them there.
//
// The key layout under a prefix (DefaultPrefix):
//
//	<prefix>/policies/<id>    one JSON value per policy
//	<prefix>/upstreams/<id>   one per upstream
//	<prefix>/routes/<id>      one per route, without its id
//	<prefix>/defaults         the defaults
//	<prefix>/nodes/<node-id>  each node's status, under a lease
//	<prefix>/serial           bumped by every write that validated the whole
//
// A Store follows config.Store's contract: it keeps one watch on the
// prefix, resumed from the last revision it saw, rebuilds and validates the
// whole snapshot on every change and keeps the newest one for Load. It keeps
// serving the last good snapshot while etcd is down or holds an invalid one,
// writes each good one atomically to a local file, and serves that file at
// start when etcd cannot be reached.
package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crossgate/crossgate/config"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultPrefix is the prefix of Crossgate's keys when none is given.
const DefaultPrefix = "/crossgate"

// Defaults of Options.
const (
	DefaultStartTimeout   = 2 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	DefaultLeaseTTL       = 10 * time.Second
)

// Options configure a Store.
type Options struct {
	// Endpoints are the client URLs of etcd's members.
	Endpoints []string
	// Prefix is the prefix of every key; DefaultPrefix when empty.
	Prefix string
	// Username and Password, when set, authenticate to etcd.
	Username, Password string
	// TLS, when set, is the client's TLS configuration (https endpoints).
	TLS *tls.Config

	// Node is the node's own config: its listen, tls and admin settings
	// complete every snapshot. Nil for a store that only reads and writes
	// resources (config push and pull).
	Node *config.Config
	// NodeID names the node under <prefix>/nodes/; a node reports no
	// status when it is empty.
	NodeID string
	// Version is the node's version, in its status.
	Version string
	// SnapshotFile, when set, is where the last good snapshot is kept, so
	// that a node started while etcd is unreachable serves it.
	SnapshotFile string
	// Check, when set, vets every snapshot beyond validation (lint's
	// errors); an error refuses it.
	Check func(*config.Config) error
	// Logger receives the store's events; none when nil.
	Logger *slog.Logger

	// StartTimeout bounds how long the first Load waits for etcd before
	// it serves the snapshot file; DefaultStartTimeout when zero.
	StartTimeout time.Duration
	// RequestTimeout bounds each request to etcd; DefaultRequestTimeout
	// when zero.
	RequestTimeout time.Duration
	// LeaseTTL is the lifetime of the node's status key without the node;
	// DefaultLeaseTTL when zero.
	LeaseTTL time.Duration
}

// Store is a config.Store and a config.ResourceStore on etcd.
type Store struct {
	o       Options
	prefix  string // with a trailing /
	cliConf clientv3.Config
	log     *slog.Logger
	metrics *metrics
	started time.Time

	startOnce sync.Once
	stop      context.CancelFunc
	done      sync.WaitGroup
	first     chan struct{} // closed once the first Load may answer

	cliMu sync.Mutex
	cli   *clientv3.Client // made by client

	mu           sync.Mutex
	subs         []chan struct{}
	cfg          *config.Config // the last good snapshot
	err          error          // the newest snapshot's problems, when it is refused
	loaded       bool           // Load has returned a config
	source       Source
	applied      int64 // etcd revision of cfg
	appliedAt    time.Time
	refused      int64 // etcd revision of the last refused snapshot
	refusedErr   []string
	statusDirty  chan struct{}
	statusUrgent bool // the next status write has news an operator waits for
}

// Source says where a node's current snapshot came from.
type Source string

// Sources of a snapshot.
const (
	SourceNone  Source = "none" // no snapshot yet: the node serves no routes
	SourceEtcd  Source = "etcd" // etcd
	SourceCache Source = "file" // the snapshot file, etcd being unreachable at start
)

// New returns a Store of the etcd cluster at o.Endpoints. It connects in
// the background: etcd need not be reachable yet.
func New(o Options) (*Store, error) {
	if len(o.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints; give them as --etcd http://127.0.0.1:2379[,...]")
	}
	for _, e := range o.Endpoints {
		if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
			return nil, fmt.Errorf("etcd: endpoint %q: write it as a URL, http://HOST:PORT or https://HOST:PORT", e)
		}
		if strings.HasPrefix(e, "https://") && o.TLS == nil {
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/") {
		return nil, fmt.Errorf("etcd: prefix %q: write it as /name, starting with / and not ending with one", o.Prefix)
	}
	if strings.Contains(o.NodeID, "/") {
		return nil, fmt.Errorf("etcd: node id %q: leave out /", o.NodeID)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	conf := clientv3.Config{
		Endpoints:   o.Endpoints,
		Username:    o.Username,
		Password:    o.Password,
		TLS:         o.TLS,
		DialTimeout: o.RequestTimeout,
		// Detect a dead member in seconds, not at the TCP timeout.
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(),
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		o:           o,
		prefix:      o.Prefix + "/",
		cliConf:     conf,
		log:         log,
		metrics:     newMetrics(),
		started:     time.Now(),
		first:       make(chan struct{}),
		source:      SourceNone,
		statusDirty: make(chan struct{}, 1),
	}, nil
}

// Endpoints returns the etcd endpoints of the store.
func (s *Store) Endpoints() []string { return s.o.Endpoints }

// Close stops watching, removes the node's status and closes the client.
func (s *Store) Close() error {
	if s.stop != nil {
		s.stop()
	}
	s.done.Wait()
	s.cliMu.Lock()
	defer s.cliMu.Unlock()
	if s.cli == nil {
		return nil
	}
	return s.cli.Close()
}

// client returns the etcd client, made on first use. Making one does not
// wait for etcd, except with a user and password, when it fetches a token;
// while etcd is unreachable that fails, and the next call tries again.
func (s *Store) client() (*clientv3.Client, error) {
	s.cliMu.Lock()
	defer s.cliMu.Unlock()
	if s.cli == nil {
		cli, err := clientv3.New(s.cliConf)
		if err != nil {
			return nil, s.unavailable(err)
		}
		s.cli = cli
	}
	return s.cli, nil
}

// start starts the watch and the status reports, once.
func (s *Store) start() {
	s.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			s.sync(ctx)
		}()
		if s.o.NodeID != "" {
			s.done.Add(1)
			go func() {
				defer s.done.Done()
				s.report(ctx)
			}()
		}
		go func() {
			select {
			case <-time.After(s.o.StartTimeout):
				s.fallBack()
			case <-s.first:
			case <-ctx.Done():
			}
		}()
	})
}

// Watch reports each change of the snapshot: a new good one, or a refused
// one. The channel is closed when ctx is done.
func (s *Store) Watch(ctx context.Context) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs = append(s.subs, ch)
	s.mu.Unlock()
	s.start()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, c := range s.subs {
			if c == ch {
				s.subs = append(s.subs[:i], s.subs[i+1:]...)
				close(ch)
				break
			}
		}
	}()
	return ch, nil
}

// Load returns the newest snapshot, or its errors when it was refused. The
// first Load waits for etcd up to Options.StartTimeout; when etcd does not
// answer in time it returns the snapshot file's, or a config of the node's
// own settings and no routes, and the node catches up when etcd answers.
func (s *Store) Load(ctx context.Context) (*config.Config, error) {
	s.start()
	select {
	case <-s.first:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The first Load always has a config to start with: the gateway
	// would not start on an error.
	if s.err != nil && s.loaded {
		return nil, s.err
	}
	s.loaded = true
	return s.cfg, nil
}

// Ready reports whether the node serves a snapshot (from etcd, or from its
// snapshot file while etcd is unreachable), and if not why.
func (s *Store) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.source == SourceNone {
		return errors.New("no config yet: etcd has not been reached and there is no snapshot file")
	}
	return nil
}

// Serving says which config the node serves, for /readyz.
func (s *Store) Serving() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.source {
	case SourceEtcd:
		return fmt.Sprintf("config of etcd revision %d", s.applied)
	case SourceCache:
		return fmt.Sprintf("config of etcd revision %d from the snapshot file %s: etcd has not answered since the start", s.applied, s.o.SnapshotFile)
	}
	return "no config"
}

// fallBack serves the snapshot file, or the node's own settings, when
// etcd has not answered in time at start.
func (s *Store) fallBack() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.first:
		return
	default:
	}
	s.fallBackLocked("etcd is unreachable")
}

// fallBackLocked serves the snapshot file's config, or the node's own
// settings, as the first snapshot, for the reason given; s.mu is held.
func (s *Store) fallBackLocked(why string) {
	defer close(s.first)
	if s.o.SnapshotFile != "" {
		cfg, rev, err := s.readSnapshot()
		switch {
		case err == nil:
			s.cfg, s.source, s.applied, s.appliedAt = cfg, SourceCache, rev, time.Now()
			s.metrics.applied(rev, SourceCache)
			s.log.Warn(why+": serving the last good config from the snapshot file until etcd has a valid one", "file", s.o.SnapshotFile, "revision", rev)
			return
		case !errors.Is(err, os.ErrNotExist):
			s.log.Error("the snapshot file cannot be served", "file", s.o.SnapshotFile, "error", err.Error())
		}
	}
	s.cfg = s.nodeOnly()
	s.log.Warn(why + " and there is no snapshot file: serving no routes, not ready, until etcd has a valid config")
}

// nodeOnly is the config of the node's own settings and no resources.
func (s *Store) nodeOnly() *config.Config {
	cfg, err := (&config.Resources{}).Config(s.o.Node)
	if err != nil {
		// Empty resources are valid; were they not, the node's settings
		// alone still are.
		cfg = &config.Config{Listen: config.DefaultListen}
		if n := s.o.Node; n != nil {
			cfg.Listen, cfg.TLS, cfg.Admin = n.Listen, n.TLS, n.Admin
		}
	}
	cfg.Revision = "0"
	return cfg
}

// apply builds the snapshot of r at revision rev and serves it when it is
// valid; it reports whether it was. Only the sync goroutine calls it.
func (s *Store) apply(r *config.Resources, rev int64) bool {
	cfg, err := s.build(r)
	s.serve(cfg, err, rev)
	if err == nil && s.o.SnapshotFile != "" {
		// After the swap: the file is for the next start, not this one.
		if werr := writeSnapshot(s.o.SnapshotFile, r, rev); werr != nil {
			s.log.Error("the snapshot file cannot be written; a restart while etcd is down will serve no routes", "file", s.o.SnapshotFile, "error", werr.Error())
		}
	}
	return err == nil
}

// serve makes cfg, or its refusal err, the newest snapshot and tells the
// watchers.
func (s *Store) serve(cfg *config.Config, err error, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	news := err != nil || s.source != SourceEtcd
	if err != nil {
		s.err = err
		s.refused = rev
		s.refusedErr = strings.Split(err.Error(), "\n")
		s.metrics.refused.Inc()
		s.log.Error("the config in etcd is invalid: refused; the last good config keeps serving", "revision", rev, "error", err.Error())
	} else {
		cfg.Revision = strconv.FormatInt(rev, 10)
		s.cfg, s.err, s.source, s.applied, s.appliedAt = cfg, nil, SourceEtcd, rev, time.Now()
		s.metrics.applied(rev, SourceEtcd)
	}
	select {
	case <-s.first:
	default:
		if err != nil {
			s.fallBackLocked("the config in etcd is invalid")
		} else {
			close(s.first)
		}
	}
	for _, ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.markStatus(news)
}

// markStatus asks for the node's status to be written again, soon when
// urgent; s.mu is held.
func (s *Store) markStatus(urgent bool) {
	s.statusUrgent = s.statusUrgent || urgent
	select {
	case s.statusDirty <- struct{}{}:
	default:
	}
}

func (s *Store) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, s.o.RequestTimeout)
}

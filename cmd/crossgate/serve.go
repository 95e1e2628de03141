package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/lint"
)

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "Usage: crossgate serve [-c FILE] [--etcd URL,... [--etcd-prefix /crossgate]]", stderr)
	file := fs.String("c", defaultConfigFile, "config `FILE`; without one, the embedded default config. With --etcd, the node's own file: listen, tls and admin")
	etcd := addEtcdFlags(fs)
	nodeID := fs.String("node-id", "", "with --etcd: the node's `NAME` in the cluster (default HOSTNAME-PORT)")
	snapshot := fs.String("snapshot-file", "", "with --etcd: the `FILE` that keeps the last good config, served when etcd is down at start (default FILE.snapshot.json beside the -c file)")
	if code := parseFlags(fs, args, "; name the file with -c"); code >= 0 {
		return code
	}
	embedded := false
	if !etcd.set() {
		var err error
		if embedded, err = useEmbedded(fs, *file); err != nil {
			fmt.Fprintf(stderr, "crossgate serve: %v\n", err)
			return 2
		}
	}
	var store config.Store = &config.FileStore{Path: *file}
	if embedded {
		store = &config.StaticStore{Name: embeddedName, Data: config.Default()}
	}
	if os.Getenv("GOGC") == "" {
		// A gateway's live heap is small and its garbage is per request:
		// collecting when the heap has grown fourfold rather than twofold
		// saves most of the collector's CPU for a few MB of memory.
		debug.SetGCPercent(400)
	}
	logs := gateway.NewLogWriter(stdout)
	defer logs.Close()
	log := slog.New(slog.NewJSONHandler(logs, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() {
		// No signal arrives after Stop returns, so the relay below ends.
		signal.Stop(hup)
		close(hup)
	}()
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()

	if etcd.set() {
		cs, err := clusterStore(*file, etcd, *nodeID, *snapshot, log)
		if err != nil {
			printConfigError(stderr, err)
			return 1
		}
		defer cs.Close()
		store = cs
		log.Info("cluster mode: the config comes from etcd", "endpoints", strings.Join(cs.Endpoints(), ","), "node", cs.Status().ID)
	}
	if embedded {
		log.Warn("no " + defaultConfigFile + " here: serving the embedded default config (origin http://localhost:3000, upstream http://127.0.0.1:9001); write your own, starting from examples/crossgate.yaml")
	}
	srv := &gateway.Server{Store: store, Logger: log, AccessLog: logs, Reload: reload, Check: lintCheck(log)}
	if err := srv.Run(ctx); err != nil {
		printConfigError(stderr, err)
		return 1
	}
	return 0
}

// clusterStore returns the etcd store of a node whose own file is file.
func clusterStore(file string, flags *etcdFlags, nodeID, snapshot string, log *slog.Logger) (*etcdstore.Store, error) {
	node, err := config.Load(file)
	if err != nil {
		return nil, err
	}
	if len(node.Policies)+len(node.Upstreams)+len(node.Routes) > 0 || node.Defaults.CORS != nil {
		return nil, fmt.Errorf("%s: in cluster mode policies, upstreams, routes and defaults come from etcd: keep listen, tls and admin in this file, and put the rest in etcd with crossgate config push", file)
	}
	o, err := flags.options()
	if err != nil {
		return nil, err
	}
	o.Node, o.Logger, o.Version = node, log, buildVersion
	o.NodeID = nodeID
	if o.NodeID == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(node.Listen)
		o.NodeID = strings.ReplaceAll(host, "/", "-") + "-" + port
	}
	o.SnapshotFile = snapshot
	if o.SnapshotFile == "" {
		o.SnapshotFile = strings.TrimSuffix(file, filepath.Ext(file)) + ".snapshot.json"
	}
	// Lint errors refuse a snapshot as they refuse a file; the gateway
	// logs the warnings.
	o.Check = func(c *config.Config) error { return lint.Refuse(lint.Check(c)) }
	return etcdstore.New(o)
}

// defaultConfigFile is the config serve and lint read when -c is not given.
const defaultConfigFile = "crossgate.yaml"

// embeddedName names the embedded default config in messages.
const embeddedName = "embedded default"

// useEmbedded reports whether serve and lint take the embedded default
// config: when -c is not given and there is no crossgate.yaml here. A file
// that -c names must be readable; the error says so, and the command exits 2
// as for any file it cannot read.
func useEmbedded(fs *flag.FlagSet, file string) (bool, error) {
	_, err := os.Stat(file)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, os.ErrNotExist) && !flagSet(fs, "c"):
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("config file %s does not exist", file)
	}
	return false, err
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// lintCheck returns the vetting of each config before it is served: lint
// errors refuse it, as invalid configs are refused, and warnings and infos
// are logged, at most lintLogPerRule of each rule and then a count of the
// rest, so that a large config's repeated finding fills no screen.
func lintCheck(log *slog.Logger) func(*config.Config) error {
	return func(c *config.Config) error {
		findings := lint.Check(c)
		var notErrors []lint.Finding
		for _, f := range findings {
			if f.Severity != lint.Error { // errors are in the error that refuses the config
				notErrors = append(notErrors, f)
			}
		}
		shown, omitted := lint.Summarize(notErrors, lintLogPerRule)
		for _, f := range shown {
			log.Log(context.Background(), lintLevel(f.Severity), f.Message, "lint", f.Rule, "file", f.File, "line", f.Line, "col", f.Col)
		}
		for _, o := range omitted {
			log.Log(context.Background(), lintLevel(o.Severity), fmt.Sprintf("... and %d more findings of rule %s; crossgate lint -c %s lists them all", o.Count, o.Rule, c.File()),
				"lint", o.Rule, "omitted", o.Count)
		}
		return lint.Refuse(findings)
	}
}

// lintLogPerRule is how many findings of one rule serve logs one by one.
const lintLogPerRule = 10

func lintLevel(s lint.Severity) slog.Level {
	if s == lint.Warning {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// printConfigError prints every config problem on its own line as
// FILE:LINE:COL: message.
func printConfigError(w io.Writer, err error) {
	var es config.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintf(w, "crossgate: %v\n", err)
}

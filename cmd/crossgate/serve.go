package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/lint"
)

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", defaultConfigFile, "config file; without one, the embedded default config")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: crossgate serve [-c FILE]")
		fs.PrintDefaults()
	}
	if !parseFlags(fs, args, "; name the file with -c") {
		return 2
	}
	var store config.Store = &config.FileStore{Path: *file}
	embedded := false
	if _, err := os.Stat(*file); errors.Is(err, os.ErrNotExist) && !flagSet(fs, "c") {
		store, embedded = &config.StaticStore{Name: "embedded default", Data: config.Default()}, true
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

// defaultConfigFile is the config serve reads when -c is not given.
const defaultConfigFile = "crossgate.yaml"

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

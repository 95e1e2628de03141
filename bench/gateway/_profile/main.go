// Command profile runs Crossgate's gateway as `crossgate serve` does, in
// process, and writes a CPU profile of everything it served when it is
// stopped (SIGINT or SIGTERM). `gateway.sh profile` runs it under wrk, to
// show where a proxied request's time goes.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

func main() {
	file := flag.String("c", "crossgate.yaml", "config file")
	out := flag.String("cpuprofile", "cpu.pprof", "where to write the CPU profile")
	flag.Parse()

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	// What crossgate serve sets up (cmd/crossgate/serve.go), so that the
	// profile shows what it costs: the collector's pace, and the access
	// log and the server's log as JSON lines, batched, on stdout.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	logs := gateway.NewLogWriter(os.Stdout)
	srv := &gateway.Server{
		Store:     &config.FileStore{Path: *file},
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		AccessLog: logs,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	runErr := srv.Run(ctx)
	pprof.StopCPUProfile()
	logs.Close()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if runErr != nil {
		log.Fatal(runErr)
	}
}

// Command profile runs Crossgate's gateway as `crossgate serve` does, in
// process, and writes a CPU profile of everything it served when it is
// stopped (SIGINT or SIGTERM). gateway.sh runs it under wrk when PROFILE is
// set, to show where a proxied request's time goes.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
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
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The same access log as crossgate serve: JSON lines on stdout.
	srv := &gateway.Server{Store: &config.FileStore{Path: *file}, Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	runErr := srv.Run(ctx)
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if runErr != nil {
		log.Fatal(runErr)
	}
}

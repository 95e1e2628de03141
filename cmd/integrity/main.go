// Command integrity checks that the gateway gives every request its own
// answer, with misbehaving upstreams, config swaps and clients leaving
// mid-answer (see package internal/integrity), on loopback only. It prints a table of
// outcomes by behaviour and exits 1 when any answer was crossed.
//
//	go run ./cmd/integrity -requests 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/crossgate/crossgate/internal/integrity"
)

func main() {
	var o integrity.Options
	flag.Int64Var(&o.Requests, "requests", 1_000_000, "stop after this many requests (0: no limit)")
	flag.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: no limit)")
	flag.IntVar(&o.Clients, "clients", 64, "concurrent clients")
	flag.DurationVar(&o.ReloadEvery, "reload", 200*time.Millisecond, "swap the gateway's config this often (0: never)")
	flag.IntVar(&o.LeaveOneIn, "leave", 4, "one slow-body request in N leaves mid-answer (0: none)")
	flag.Parse()
	o.Progress = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := integrity.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integrity:", err)
		os.Exit(2)
	}
	fmt.Print(r)
	if r.Total.Crossed > 0 {
		os.Exit(1)
	}
}

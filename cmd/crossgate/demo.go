package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/crossgate/crossgate/demo"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "Usage: crossgate demo [--port N]", stderr)
	port := fs.Int("port", 8080, "gateway port; the allowed page uses port+1, the other page port+2 and the console port+3 (0: any free ports)")
	if code := parseFlags(fs, args, ""); code >= 0 {
		return code
	}
	o := demo.Options{Calls: stdout}
	if *port != 0 {
		o.GatewayPort, o.AllowedPort, o.OtherPort, o.AdminPort = *port, *port+1, *port+2, *port+3
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := demo.Start(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate demo: %v\n", err)
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintln(stderr, "Another program uses one of its ports: pick others with --port N (N to N+3), or --port 0 for any free ones.")
		}
		return 1
	}
	fmt.Fprintf(stdout, `Crossgate demo: the gateway in front of a sample API, and two pages that call it.

  start here                       %s/
  allowed page                     %s
  other page (not allowed)         %s
  the API, through the gateway     %s
  console (every CORS decision)    %s

The API's CORS policy:
%s
Open both pages in a browser: the allowed page's calls succeed (but the one
with a header the policy does not allow); the other page's calls are blocked
by the browser. Each call is printed below with the gateway's decision;
the console shows them too, why the browser blocked a call and the fix.
In another terminal, in this directory, ask what a browser would do:

  go run ./cmd/crossgate check %s --origin %s

Ctrl-C stops the demo.

`, d.GatewayURL, d.AllowedPage, d.OtherPage, d.API, d.ConsoleURL, indent(d.Policy), d.API, strings.TrimSuffix(d.OtherPage, "/"))
	if err := d.Wait(ctx); err != nil {
		fmt.Fprintf(stderr, "crossgate demo: %v\n", err)
		return 1
	}
	return 0
}

// indent sets lines off by four spaces.
func indent(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("    " + l)
	}
	return b.String()
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crossgate/crossgate/scan"
)

func cmdScan(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("scan", "Usage: crossgate scan URL [--resolve HOST:PORT:ADDR] [--json]", stderr)
	resolve := resolveFlags{}
	fs.Var(resolve, "resolve", "connect to ADDR for HOST:PORT (`HOST:PORT:ADDR`, as curl); repeatable")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this `DURATION`")
	url, err := parseWithPositional(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r, err := scan.Scan(ctx, url, scan.Options{Client: httpClient(resolve, 15*time.Second)})
	if err != nil {
		fmt.Fprintf(stderr, "crossgate scan: could not scan: %v\n", err)
		return 2
	}
	if *asJSON {
		writeJSON(stdout, r)
	} else {
		printScan(stdout, r)
	}
	switch {
	case len(r.Findings) > 0:
		return 1
	case len(r.Unanswered) > 0:
		fmt.Fprintf(stderr, "crossgate scan: could not scan: %d of %d probes got no answer\n", len(r.Unanswered), r.Probes)
		return 2
	}
	return 0
}

func printScan(w io.Writer, r *scan.Report) {
	switch {
	case len(r.Findings) > 0:
		fmt.Fprintf(w, "%s: %s\n", r.URL, count(len(r.Findings), "finding"))
		for _, f := range r.Findings {
			fmt.Fprintf(w, "\n%-7s %-20s Origin: %s\n        %s\n", f.Severity, f.Class, f.Origin, f.Evidence)
			if more := f.Origins[1:]; len(more) > 0 {
				fmt.Fprintf(w, "        Also seen with: %s\n", listSome(more, 3))
			}
			fmt.Fprintf(w, "        Cause: %s.\n        Fix:   %s.\n", upperFirst(f.Cause), upperFirst(f.Fix))
		}
	case len(r.Unanswered) == 0:
		fmt.Fprintf(w, "%s: no misconfiguration found (%d probes)\n", r.URL, r.Probes)
	default:
		fmt.Fprintf(w, "%s: no misconfiguration found in the %d probes answered\n", r.URL, r.Probes-len(r.Unanswered))
	}
	if len(r.Unanswered) > 0 {
		fmt.Fprintf(w, "\n%d of %d probes got no answer; what the endpoint makes of them is unknown:\n", len(r.Unanswered), r.Probes)
		for _, u := range r.Unanswered {
			fmt.Fprintf(w, "        Origin: %s: %s\n", u.Origin, u.Error)
		}
	}
}

// listSome lists the first n items and counts the rest.
func listSome(items []string, n int) string {
	if len(items) <= n+1 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more (--json lists them all)", strings.Join(items[:n], ", "), len(items)-n)
}

// upperFirst starts a sentence.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseWithPositional parses flags placed before or after one positional
// argument, and returns it.
func parseWithPositional(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintf(fs.Output(), "crossgate %s: want exactly one URL, got %d arguments\n", fs.Name(), len(pos))
		fs.Usage()
		return "", fmt.Errorf("bad arguments")
	}
	return withScheme(pos[0]), nil
}

// withScheme returns the URL as typed, with http:// in front when it names
// no scheme, as curl does: "localhost:8080/api" is http://localhost:8080/api,
// not a URL of scheme "localhost".
func withScheme(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	return "http://" + s
}

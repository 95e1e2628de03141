// Command crossgate is the Crossgate CORS gateway and its tools.
//
//	crossgate serve [-c FILE]   run the gateway
//	crossgate demo              the gateway, a sample API and two pages, on loopback
//	crossgate check URL --origin O  run a request as a browser would and explain the verdict
//	crossgate scan URL          probe an endpoint for CORS misconfigurations
//	crossgate lint [-c FILE]    audit a config for insecure or broken CORS
//	crossgate config push|pull  replace or print a cluster's config in etcd
//	crossgate version           version, commit, Go version
//
// Exit codes: 0 success, 1 the command's negative answer (blocked, findings,
// lint errors, an invalid config), 2 a command that could not run (a bad
// flag or argument, a file it cannot read, an unreachable host). -h prints a
// command's help and exits 0.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand of crossgate.
type command struct {
	name    string
	usage   string // the arguments, after the name
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order the usage shows them. A new
// subcommand is one line here and a cmdX function in a file of its own.
var commands = []command{
	{"serve", "[-c FILE]", "run the gateway from a YAML config (default crossgate.yaml); --etcd URL,... for a cluster", cmdServe},
	{"demo", "", "run the gateway, a sample API and two web pages on loopback", cmdDemo},
	{"check", "URL --origin O", "do what a browser does and explain its verdict (or --har FILE)", cmdCheck},
	{"scan", "URL", "probe a live endpoint for CORS misconfigurations", cmdScan},
	{"lint", "[-c FILE]", "audit a config for insecure or broken CORS (--format text|json|sarif)", cmdLint},
	{"import", "gateway-api|apisix|kong FILE... [-o FILE]", "convert another gateway's routes and CORS into a Crossgate config", cmdImport},
	{"config", "push|pull", "replace a cluster's config in etcd (--etcd URL,...) with a file's, or print it", cmdConfig},
	{"version", "", "print the version, commit and Go version", cmdVersion},
}

// usage is the help crossgate prints without a command or with -h.
func usage() string {
	var b strings.Builder
	b.WriteString("Usage: crossgate <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-22s  %s\n", strings.TrimSpace(c.name+" "+c.usage), c.summary)
	}
	b.WriteString("\nRun \"crossgate <command> -h\" for a command's flags.\n")
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage())
		return 0
	case "-version", "--version", "-v":
		name = "version"
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "crossgate: unknown command %q", name)
	if near := nearestCommand(name); near != "" {
		fmt.Fprintf(stderr, "; did you mean %q?", near)
	}
	fmt.Fprintf(stderr, "\n\n%s", usage())
	return 2
}

// nearestCommand returns the command a mistyped name most likely meant:
// one it starts, or one at most two edits away; "" when none is that near.
func nearestCommand(name string) string {
	name = strings.ToLower(strings.TrimLeft(name, "-"))
	best, bestDist := "", 3
	for _, c := range commands {
		if len(name) >= 2 && strings.HasPrefix(c.name, name) {
			return c.name
		}
		if d := editDistance(name, c.name); d < bestDist {
			best, bestDist = c.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, short words
// both.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// writeJSON prints v as the commands' --json output: one indented object.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// newFlagSet returns the flag set of a command whose -h prints the usage
// line and then every flag as it is typed: --origin for a long name, -X
// for a one-letter one (Go's flag package takes both spellings).
func newFlagSet(name, usageLine string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageLine)
		fs.VisitAll(func(f *flag.Flag) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			kind, help := flag.UnquoteUsage(f)
			fmt.Fprintf(stderr, "  %s%s", dash, f.Name)
			if kind != "" {
				fmt.Fprintf(stderr, " %s", kind)
			}
			fmt.Fprintf(stderr, "\n    \t%s", strings.ReplaceAll(help, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(stderr, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(stderr)
		})
	}
	return fs
}

// parseFailed turns the error of a flag set's Parse into an exit code: 0
// after -h (the help was asked for and printed), 2 otherwise (the flag
// package has printed the problem and the usage).
func parseFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// parseFlags parses the arguments of a command that takes flags only. A
// stray argument is refused rather than ignored: "crossgate serve my.yaml"
// must not serve another file. hint follows the complaint. It returns -1
// when the command is to run, else the exit code.
func parseFlags(fs *flag.FlagSet, args []string, hint string) int {
	if err := fs.Parse(args); err != nil {
		return parseFailed(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "crossgate %s: unexpected argument %q%s\n", fs.Name(), fs.Arg(0), hint)
		return 2
	}
	return -1
}

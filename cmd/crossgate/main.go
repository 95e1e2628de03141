// Command crossgate is the Crossgate CORS gateway and its tools.
//
//	crossgate serve [-c FILE]   run the gateway
//	crossgate demo              the gateway, a sample API and two pages, on loopback
//	crossgate check URL --origin O  run a request as a browser would and explain the verdict
//	crossgate scan URL          probe an endpoint for CORS misconfigurations
//	crossgate lint [-c FILE]    audit a config for insecure or broken CORS
//	crossgate version           version, commit, Go version
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `Usage: crossgate <command> [flags]

Commands:
  serve [-c FILE]         run the gateway from a YAML config (default crossgate.yaml)
  demo                    run the gateway, a sample API and two web pages on loopback
  check URL --origin O    do what a browser does and explain its verdict (or --har FILE)
  scan URL                probe a live endpoint for CORS misconfigurations
  lint [-c FILE]          audit a config for insecure or broken CORS (--format text|json|sarif)
  version                 print the version, commit and Go version

Run "crossgate <command> -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(args[1:], stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "scan":
		return cmdScan(args[1:], stdout, stderr)
	case "lint":
		return cmdLint(args[1:], stdout, stderr)
	case "import":
		return cmdImport(args[1:], stdout, stderr)
	case "version":
		return cmdVersion(stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "crossgate: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// writeJSON prints v as the commands' --json output: one indented object.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// parseFlags parses the arguments of a command that takes flags only. A
// stray argument is refused rather than ignored: "crossgate serve my.yaml"
// must not serve another file. hint follows the complaint.
func parseFlags(fs *flag.FlagSet, args []string, hint string) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "crossgate %s: unexpected argument %q%s\n", fs.Name(), fs.Arg(0), hint)
		return false
	}
	return true
}

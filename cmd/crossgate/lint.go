package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/crossgate/crossgate/lint"
)

func cmdLint(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "crossgate.yaml", "config file")
	format := fs.String("format", "text", "output format: text, json or sarif")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: crossgate lint [-c FILE] [--format text|json|sarif]")
		fs.PrintDefaults()
	}
	if !parseFlags(fs, args, "; name the file with -c") {
		return 2
	}
	write := map[string]func(io.Writer, []lint.Finding) error{
		"text":  lint.WriteText,
		"json":  lint.WriteJSON,
		"sarif": lint.WriteSARIF,
	}[*format]
	if write == nil {
		fmt.Fprintf(stderr, "crossgate lint: unknown format %q: use text, json or sarif\n", *format)
		return 2
	}
	findings, err := lint.Load(*file)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate lint: %v\n", err)
		return 2
	}
	if err := write(stdout, findings); err != nil {
		fmt.Fprintf(stderr, "crossgate lint: %v\n", err)
		return 2
	}
	n := lint.Count(findings)
	if *format == "text" {
		fmt.Fprintf(stdout, "%s: %s, %s, %s\n", *file, count(n[lint.Error], "error"), count(n[lint.Warning], "warning"), count(n[lint.Info], "info"))
	}
	if n[lint.Error] > 0 {
		return 1
	}
	return 0
}

// count writes n and a noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

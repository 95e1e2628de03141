package main

import (
	"fmt"
	"io"

	"github.com/crossgate/crossgate/config"

	"github.com/crossgate/crossgate/lint"
)

func cmdLint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("lint", "Usage: crossgate lint [-c FILE] [--format text|json|sarif]", stderr)
	file := fs.String("c", defaultConfigFile, "config `FILE`; without one, the embedded default config")
	format := fs.String("format", "text", "output format: text, json or sarif")
	if code := parseFlags(fs, args, "; name the file with -c"); code >= 0 {
		return code
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
	embedded, err := useEmbedded(fs, *file)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate lint: %v\n", err)
		return 2
	}
	var findings []lint.Finding
	if embedded {
		*file = embeddedName
		fmt.Fprintf(stderr, "crossgate lint: no %s here: auditing the embedded default config, which crossgate serve uses then\n", defaultConfigFile)
		findings = lint.Parse(*file, config.Default())
	} else if findings, err = lint.Load(*file); err != nil {
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

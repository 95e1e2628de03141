package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/importer"
	"github.com/crossgate/crossgate/lint"
)

// backendFlags collects --backend NAME=URL values.
type backendFlags map[string]string

func (b backendFlags) String() string { return "" }

func (b backendFlags) Set(v string) error {
	name, url, ok := strings.Cut(v, "=")
	if !ok || name == "" || url == "" {
		return fmt.Errorf("want NAME=URL, such as users=http://127.0.0.1:9001")
	}
	b[name] = url
	return nil
}

func cmdImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", "Usage: crossgate import gateway-api|apisix|kong FILE... [-o FILE] [--listen ADDR] [--backend NAME=URL]... [--format text|json]", stderr)
	out := fs.String("o", "", "write the config to this file (default: standard output)")
	listen := fs.String("listen", config.DefaultListen, "the gateway's address in the config written")
	backends := backendFlags{}
	fs.Var(backends, "backend", "send a Gateway API backendRef NAME (or NAMESPACE/NAME) to URL (NAME=URL); repeatable")
	format := fs.String("format", "text", "findings format: text or json")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return parseFailed(err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < 2 {
		fmt.Fprintln(stderr, "crossgate import: name the format and at least one file")
		fs.Usage()
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "crossgate import: unknown format %q: use text or json\n", *format)
		return 2
	}
	var inputs []importer.Input
	for _, name := range pos[1:] {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "crossgate import: %v\n", err)
			return 2
		}
		inputs = append(inputs, importer.Input{Name: name, Data: data})
	}
	res, err := importer.Convert(importer.Format(pos[0]), inputs, importer.Options{Backends: backends, Output: *out, Listen: *listen})
	if err != nil {
		fmt.Fprintf(stderr, "crossgate import: %v\n", err)
		return 2
	}

	// The findings go where the config does not.
	report := stdout
	if *out == "" || *out == "-" {
		stdout.Write(res.Config)
		report = stderr
	} else if err := os.WriteFile(*out, res.Config, 0o644); err != nil {
		fmt.Fprintf(stderr, "crossgate import: %v\n", err)
		return 2
	}
	if *format == "json" {
		if err := lint.WriteJSON(report, res.Findings); err != nil {
			fmt.Fprintf(stderr, "crossgate import: %v\n", err)
			return 2
		}
	} else {
		_ = lint.WriteText(report, res.Findings)
		n := lint.Count(res.Findings)
		where := "the config"
		if *out != "" && *out != "-" {
			where = *out
		}
		verdict := "converted"
		if res.Errors() {
			verdict = "converted with errors: read them before serving it"
		}
		fmt.Fprintf(report, "crossgate import: %s %s; %s, %s, %s\n", where, verdict, count(n[lint.Error], "error"), count(n[lint.Warning], "warning"), count(n[lint.Info], "info"))
	}
	if res.Errors() {
		return 1
	}
	return 0
}

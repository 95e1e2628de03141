package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X main.buildVersion=...".
var buildVersion = "dev"

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "Usage: crossgate version", stderr)
	if code := parseFlags(fs, args, ""); code >= 0 {
		return code
	}
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
		if buildVersion == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			buildVersion = info.Main.Version
		}
	}
	fmt.Fprintf(stdout, "crossgate %s\ncommit %s\n%s\n", buildVersion, commit, runtime.Version())
	return 0
}

package importer

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/crossgate/crossgate/config"
)

// render writes the config, every string quoted, each object under a
// comment that names its source.
func (d *doc) render() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Converted by crossgate import %s from %s.\n", d.format, strings.Join(d.files, ", "))
	b.WriteString("# Each object names its source above it. Read the findings the command printed before\n")
	b.WriteString("# serving this file; crossgate lint checks it again.\n")
	fmt.Fprintf(&b, "listen: %s\n", quote(cmp.Or(d.opts.Listen, config.DefaultListen)))

	if len(d.policies) > 0 {
		b.WriteString("\npolicies:\n")
		for _, p := range d.policies {
			fmt.Fprintf(&b, "  # %s\n", p.source)
			for _, n := range p.notes {
				fmt.Fprintf(&b, "  # %s\n", n)
			}
			fmt.Fprintf(&b, "  %s:\n", quote(p.name))
			writePolicy(&b, &p.p, "    ")
		}
	}
	if len(d.upstreams) > 0 {
		b.WriteString("\nupstreams:\n")
		for _, u := range d.upstreams {
			fmt.Fprintf(&b, "  # %s\n", u.source)
			fmt.Fprintf(&b, "  %s:\n    targets: %s\n", quote(u.name), list(u.targets))
			if u.timeout != "" {
				fmt.Fprintf(&b, "    timeout: %s\n", u.timeout)
			}
			if u.retries >= 0 {
				fmt.Fprintf(&b, "    retries: %d\n", u.retries)
			}
			if h := u.health; h != nil {
				fmt.Fprintf(&b, "    health_check: {path: %s", quote(h.Path))
				if h.Interval > 0 {
					fmt.Fprintf(&b, ", interval: %s", h.Interval)
				}
				if h.Timeout > 0 {
					fmt.Fprintf(&b, ", timeout: %s", h.Timeout)
				}
				if h.Fails > 0 {
					fmt.Fprintf(&b, ", fails: %d", h.Fails)
				}
				if h.Passes > 0 {
					fmt.Fprintf(&b, ", passes: %d", h.Passes)
				}
				b.WriteString("}\n")
			}
		}
	}
	if len(d.routes) > 0 {
		b.WriteString("\nroutes:\n")
		for _, r := range d.routes {
			fmt.Fprintf(&b, "  # %s\n", r.source)
			fmt.Fprintf(&b, "  - id: %s\n", quote(r.id))
			if len(r.hosts) > 0 {
				fmt.Fprintf(&b, "    hosts: %s\n", list(r.hosts))
			}
			if r.path != "" {
				fmt.Fprintf(&b, "    path: %s\n", quote(r.path))
			} else {
				fmt.Fprintf(&b, "    path_prefix: %s\n", quote(r.prefix))
			}
			if len(r.methods) > 0 {
				fmt.Fprintf(&b, "    methods: %s\n", list(r.methods))
			}
			if r.strip {
				b.WriteString("    strip_prefix: true\n")
			}
			fmt.Fprintf(&b, "    upstream: %s\n", quote(r.upstream))
			if r.cors != "" {
				fmt.Fprintf(&b, "    cors: %s\n", quote(r.cors))
			}
		}
	}
	if d.defaults != "" {
		fmt.Fprintf(&b, "\ndefaults:\n  cors: %s\n", quote(d.defaults))
	}
	return []byte(b.String())
}

func writePolicy(b *strings.Builder, p *config.Policy, indent string) {
	line := func(key, value string) { fmt.Fprintf(b, "%s%s: %s\n", indent, key, value) }
	if len(p.AllowOrigins) > 0 {
		line("allow_origins", list(p.AllowOrigins))
	}
	if len(p.AllowOriginRegex) > 0 {
		line("allow_origin_regex", list(p.AllowOriginRegex))
	}
	if len(p.AllowMethods) > 0 {
		line("allow_methods", list(p.AllowMethods))
	}
	if len(p.AllowHeaders) > 0 {
		line("allow_headers", list(p.AllowHeaders))
	}
	if len(p.ExposeHeaders) > 0 {
		line("expose_headers", list(p.ExposeHeaders))
	}
	if p.AllowCredentials {
		line("allow_credentials", "true")
	}
	if p.MaxAge != 0 {
		line("max_age", strconv.Itoa(p.MaxAge))
	}
	if p.AllowPrivateNetwork {
		line("allow_private_network", "true")
	}
	if p.TimingAllowOrigin {
		line("timing_allow_origin", "true")
	}
	if p.PreflightStatus != 0 && p.PreflightStatus != config.DefaultPreflightStatus {
		line("preflight_status", strconv.Itoa(p.PreflightStatus))
	}
	if p.Mode != "" && p.Mode != config.ModeGateway {
		line("mode", string(p.Mode))
	}
}

// quote writes s as a YAML string: single-quoted, where nothing is an
// escape (so regexes read as written), unless s holds a character that
// must be escaped.
func quote(s string) string {
	for _, c := range s {
		if c < ' ' || c == 0x7f || !unicode.IsPrint(c) {
			b, _ := json.Marshal(s)
			return string(b)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func list(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/lint"
)

const configUsage = `Usage:
  crossgate config push -c FILE --etcd URL,...   replace the cluster's policies, upstreams, routes and defaults with the file's
  crossgate config pull --etcd URL,...           print the cluster's as YAML, which push takes back unchanged
`

// configTimeout bounds a push or a pull.
const configTimeout = 30 * time.Second

func cmdConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, configUsage)
		return 2
	}
	switch args[0] {
	case "push":
		return cmdConfigPush(args[1:], stdout, stderr)
	case "pull":
		return cmdConfigPull(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, configUsage)
		return 0
	}
	fmt.Fprintf(stderr, "crossgate config: unknown command %q\n\n%s", args[0], configUsage)
	return 2
}

// configStore parses the etcd flags of push and pull and opens the store.
func configStore(fs *flag.FlagSet, flags *etcdFlags, args []string, stderr io.Writer) (*etcdstore.Store, int) {
	if code := parseFlags(fs, args, ""); code >= 0 {
		return nil, code
	}
	if !flags.set() {
		fmt.Fprintf(stderr, "crossgate config %s: --etcd is required: the cluster's etcd client URLs, such as http://127.0.0.1:2379\n", fs.Name())
		return nil, 2
	}
	o, err := flags.options()
	if err == nil {
		o.Check = func(c *config.Config) error { return lint.Refuse(lint.Check(c)) }
		var s *etcdstore.Store
		if s, err = etcdstore.New(o); err == nil {
			return s, 0
		}
	}
	fmt.Fprintf(stderr, "crossgate config %s: %v\n", fs.Name(), err)
	return nil, 1
}

func cmdConfigPush(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("push", "Usage: crossgate config push [-c FILE] --etcd URL,...", stderr)
	file := fs.String("c", defaultConfigFile, "config `FILE` whose policies, upstreams, routes and defaults the cluster takes (its listen, tls and admin are each node's own)")
	flags := addEtcdFlags(fs)
	store, code := configStore(fs, flags, args, stderr)
	if store == nil {
		return code
	}
	defer store.Close()
	c, err := config.Load(*file)
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), configTimeout)
	defer cancel()
	d, err := store.Replace(ctx, c)
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}
	for _, k := range d.Added {
		fmt.Fprintf(stdout, "+ %s\n", k)
	}
	for _, k := range d.Changed {
		fmt.Fprintf(stdout, "~ %s\n", k)
	}
	for _, k := range d.Deleted {
		fmt.Fprintf(stdout, "- %s\n", k)
	}
	if d.Revision == 0 {
		fmt.Fprintf(stdout, "nothing changed (%d resources)\n", d.Unchanged)
		return 0
	}
	fmt.Fprintf(stdout, "%d added, %d changed, %d deleted, %d unchanged; etcd revision %d\n", len(d.Added), len(d.Changed), len(d.Deleted), d.Unchanged, d.Revision)
	return 0
}

func cmdConfigPull(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("pull", "Usage: crossgate config pull --etcd URL,...", stderr)
	flags := addEtcdFlags(fs)
	store, code := configStore(fs, flags, args, stderr)
	if store == nil {
		return code
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), configTimeout)
	defer cancel()
	r, err := store.Resources(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "crossgate config pull: %v\n", err)
		return 1
	}
	data, err := r.YAML()
	if err != nil {
		fmt.Fprintf(stderr, "crossgate config pull: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "# crossgate config pull: etcd revision %d\n", r.Revision)
	_, _ = stdout.Write(data)
	return 0
}

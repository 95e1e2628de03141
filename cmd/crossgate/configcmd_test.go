package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/etcdtest"
)

// TestConfigPushPull: push prints what it changes, pull prints YAML that
// push takes back unchanged, and both refuse what they must.
func TestConfigPushPull(t *testing.T) {
	etcd := etcdtest.Start(t, 1)
	ep := etcd.Endpoints()[0]
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.yaml", `
listen: 127.0.0.1:0
policies:
  web: {allow_origins: [https://app.example.com], allow_origin_regex: ['^https://pr-[0-9]+\.example\.com$']}
  old: {allow_origins: [https://old.example.com]}
upstreams:
  api: {targets: [http://127.0.0.1:9001]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
`)
	second := write("second.yaml", `
policies:
  web: {allow_origins: [https://app.example.com, https://b.example.com]}
upstreams:
  api: {targets: [http://127.0.0.1:9001]}
  more: {targets: [http://127.0.0.1:9002]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
`)
	invalid := write("invalid.yaml", "routes:\n  - {id: a, path_prefix: /a/, upstream: missing}\n")
	node := write("node.yaml", "listen: 127.0.0.1:0\nupstreams:\n  api: {targets: [http://127.0.0.1:9001]}\n")
	exposed := write("exposed.yaml", "listen: 127.0.0.1:0\nadmin: {listen: \"0.0.0.0:0\"}\n")

	runCases(t, []cliCase{
		{"push", []string{"config", "push", "-c", first, "--etcd", ep}, 0,
			`(?s)\+ policies/old\n\+ policies/web\n\+ upstreams/api\n\+ routes/api\n4 added, 0 changed, 0 deleted, 0 unchanged; etcd revision \d+`, "", nil},
		{"push the same again", []string{"config", "push", "-c", first, "--etcd", ep}, 0, `nothing changed \(4 resources\)`, "", nil},
		{"push a change", []string{"config", "push", "-c", second, "--etcd", ep}, 0,
			`(?s)\+ upstreams/more\n~ policies/web\n- policies/old\n1 added, 1 changed, 1 deleted, 2 unchanged`, "", nil},
		{"push an invalid file", []string{"config", "push", "-c", invalid, "--etcd", ep}, 1, "", `invalid\.yaml:2:\d+: .*missing`, nil},
		{"push without --etcd", []string{"config", "push", "-c", first}, 2, "", "--etcd is required", nil},
		{"pull", []string{"config", "pull", "--etcd", ep}, 0, `(?s)# crossgate config pull: etcd revision \d+\npolicies:\n  web:\n    allow_origins: \["https://app.example.com", "https://b.example.com"\]`, "", nil},
		{"an unknown config command", []string{"config", "frob"}, 2, "", `unknown command "frob"`, nil},
		{"serve --etcd refuses a node file with resources", []string{"serve", "-c", node, "--etcd", ep}, 1, "", "in cluster mode policies, upstreams, routes and defaults come from etcd", nil},
		{"serve refuses an admin listener open to other machines without keys", []string{"serve", "-c", exposed}, 1, "", `admin: listen: "0.0.0.0:0" is reachable from other machines, so the Admin API needs keys`, nil},
	})

	// What pull prints, push takes back unchanged.
	for _, file := range []string{first, second} {
		var out, errs bytes.Buffer
		if code := run([]string{"config", "push", "-c", file, "--etcd", ep}, &out, &errs); code != 0 {
			t.Fatalf("push %s: %d %s", file, code, &errs)
		}
		out.Reset()
		if code := run([]string{"config", "pull", "--etcd", ep}, &out, &errs); code != 0 {
			t.Fatalf("pull: %d %s", code, &errs)
		}
		pulled := write("pulled.yaml", out.String())
		out.Reset()
		if code := run([]string{"config", "push", "-c", pulled, "--etcd", ep}, &out, &errs); code != 0 || !bytes.HasPrefix(out.Bytes(), []byte("nothing changed")) {
			t.Errorf("pushing what pull printed after %s: %d %s%s", filepath.Base(file), code, &out, &errs)
		}
	}
}

// TestConfigTLS: with https endpoints, push and pull check etcd's
// certificate against --etcd-cacert, and refuse one they cannot check.
func TestConfigTLS(t *testing.T) {
	etcd := etcdtest.StartTLS(t, 1)
	ep := etcd.Endpoints()[0]
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("policies:\n  web: {allow_origins: [https://app.example.com]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCases(t, []cliCase{
		{"push over TLS", []string{"config", "push", "-c", file, "--etcd", ep, "--etcd-cacert", etcd.CAFile()}, 0, `\+ policies/web`, "", nil},
		{"pull over TLS", []string{"config", "pull", "--etcd", ep, "--etcd-cacert", etcd.CAFile()}, 0, `allow_origins: \["https://app.example.com"\]`, "", nil},
		{"an unknown CA", []string{"config", "pull", "--etcd", ep}, 1, "", `etcd is unavailable: no answer from https://127\.0\.0\.1:\d+ within 5s: .*--etcd-cacert`, nil},
		{"half a client certificate", []string{"config", "pull", "--etcd", ep, "--etcd-cert", file}, 1, "", `give both --etcd-cert and --etcd-key`, nil},
	})
}

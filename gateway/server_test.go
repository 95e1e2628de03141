package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const serverConfig = `listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
policies:
  web: {allow_origins: [%s]}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: r, path_prefix: /, upstream: u, cors: web}
`

func TestServerReloadsFromFile(t *testing.T) {
	up := newUpstream(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "crossgate.yaml")
	write := func(content string) {
		t.Helper()
		// Write and rename, as editors do.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(serverConfig, "https://a.example.com", up.URL))

	logs := &syncBuffer{}
	ready := make(chan [2]net.Addr, 1)
	srv := &gateway.Server{
		Store:  &config.FileStore{Path: path, Debounce: 20 * time.Millisecond},
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Ready:  func(g, a net.Addr) { ready <- [2]net.Addr{g, a} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var addrs [2]net.Addr
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not start")
	}
	base := "http://" + addrs[0].String()
	acao := func(origin string) string {
		resp := do(t, "GET", base+"/x", map[string]string{"Origin": origin})
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	// waitFor polls until cond holds, for at most 5 s.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}

	if got := acao("https://a.example.com"); got != "https://a.example.com" {
		t.Fatalf("initial ACAO = %q", got)
	}

	// A valid change is picked up.
	write(fmt.Sprintf(serverConfig, "https://b.example.com", up.URL))
	waitFor("the new policy", func() bool { return acao("https://b.example.com") == "https://b.example.com" })

	// An invalid config changes nothing and is reported with its position.
	write(fmt.Sprintf(serverConfig, `"*", https://c.example.com`, up.URL))
	waitFor("the refusal in the log", func() bool { return strings.Contains(logs.String(), "config reload refused") })
	if !strings.Contains(logs.String(), "crossgate.yaml:4:25:") {
		t.Errorf("refusal does not name the file and line:\n%s", logs.String())
	}
	if got := acao("https://b.example.com"); got != "https://b.example.com" {
		t.Errorf("after an invalid config, ACAO = %q; the last good config must keep serving", got)
	}
	metrics := get(t, "http://"+addrs[1].String()+"/metrics")
	for _, want := range []string{`crossgate_config_reloads_total{result="failure"} 1`, `crossgate_config_reloads_total{result="success"} 1`, `crossgate_cors_decisions_total{kind="actual",reason="allowed",result="allowed",route="r"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if got := get(t, "http://"+addrs[1].String()+"/readyz"); got != "ready\n" {
		t.Errorf("/readyz = %q", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	if !strings.Contains(logs.String(), `"msg":"request"`) || !strings.Contains(logs.String(), `"cors_reason":"allowed"`) {
		t.Errorf("no access-log line with the CORS decision:\n%s", logs.String())
	}
}

func TestServerRefusesInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("listen: 127.0.0.1:0\npolicies:\n  web: {allow_origins: [\"*\"], allow_credentials: true}\n"), 0o600)
	srv := &gateway.Server{Store: &config.FileStore{Path: path}}
	err := srv.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3:") {
		t.Fatalf("Run = %v, want an error at bad.yaml:3", err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

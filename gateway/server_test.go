package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
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
		Store:     &config.FileStore{Path: path, Debounce: 20 * time.Millisecond},
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		AccessLog: logs,
		Ready:     func(g, a net.Addr) { ready <- [2]net.Addr{g, a} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var addrs [2]net.Addr
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(15 * time.Second):
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
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
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
	for _, want := range []string{`crossgate_config_reloads_total{result="failure"} 1`, `crossgate_config_reloads_total{result="success"} 1`, `crossgate_cors_decisions_total{kind="actual",reason="allowed",result="allowed",route="r"}`,
		`crossgate_upstream_target_up{target="` + up.URL + `",upstream="u"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if got := get(t, "http://"+addrs[1].String()+"/readyz"); got != "ready\n" {
		t.Errorf("/readyz = %q", got)
	}
	if got, want := get(t, "http://"+addrs[1].String()+"/readyz?verbose"), "ready\nupstream u target "+up.URL+" up\n"; got != want {
		t.Errorf("/readyz?verbose = %q, want %q", got, want)
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

// startServer runs a Server on the config text and returns its addresses
// and a function that stops it and returns Run's error.
func startServer(t *testing.T, configText string) (gw, adminAddr net.Addr, stop func() error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crossgate.yaml")
	if err := os.WriteFile(path, []byte(configText), 0o600); err != nil {
		t.Fatal(err)
	}
	ready := make(chan [2]net.Addr, 1)
	srv := &gateway.Server{Store: &config.FileStore{Path: path}, Ready: func(g, a net.Addr) { ready <- [2]net.Addr{g, a} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case a := <-ready:
		return a[0], a[1], func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(10 * time.Second):
				return fmt.Errorf("server did not stop")
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return nil, nil, nil
}

func TestServerDrainsInFlightRequests(t *testing.T) {
	started := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "finished")
	})
	gwAddr, _, stop := startServer(t, fmt.Sprintf("listen: 127.0.0.1:0\nupstreams: {u: {targets: [%s]}}\nroutes: [{id: r, path_prefix: /, upstream: u}]\n", up.URL))
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + gwAddr.String() + "/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		result <- b.String()
	}()
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := <-result; got != "finished" {
		t.Errorf("in-flight request got %q, want it to finish", got)
	}
	if _, err := http.Get("http://" + gwAddr.String() + "/after"); err == nil {
		t.Error("the stopped server still accepts requests")
	}
}

func TestServerTLSAndHTTP2(t *testing.T) {
	up := newUpstream(t, nil)
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	gwAddr, _, stop := startServer(t, fmt.Sprintf(`listen: 127.0.0.1:0
tls: {cert_file: %s, key_file: %s}
policies: {web: {allow_origins: [https://app.example.com]}}
upstreams: {u: {targets: [%s]}}
routes: [{id: r, path_prefix: /, upstream: u, cors: web}]
`, certFile, keyFile, up.URL))
	defer stop()
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	req, _ := http.NewRequest("GET", "https://"+gwAddr.String()+"/x", nil)
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("proto = %s, want HTTP/2", resp.Proto)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Errorf("ACAO = %q", got)
	}
	if r := up.last(); r == nil || r.Header.Get("X-Forwarded-Proto") != "https" {
		t.Error("the upstream did not see X-Forwarded-Proto: https")
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

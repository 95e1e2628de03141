// Package etcdtest runs a real etcd cluster for tests and benchmarks: the
// etcd server of the machine (Debian's etcd-server, installed by
// scripts/install-test-deps.sh) on free loopback ports, with its data in
// temporary directories, stopped when the test ends.
//
// Members can be stopped, killed and started again one by one, which is
// what fault tests need; a member started again keeps its data and ports.
package etcdtest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Binary is the etcd server the clusters run.
const Binary = "/usr/bin/etcd"

// Cluster is a running etcd cluster.
type Cluster struct {
	// Members are the cluster's members, in the order of Endpoints.
	Members []*Member
	tb      testing.TB
	certs   *certificates // StartTLS's
}

// Member is one etcd server of a Cluster.
type Member struct {
	Name      string
	ClientURL string
	PeerURL   string
	Dir       string
	initial   string // the --initial-cluster flag
	certs     *certificates
	cmd       *exec.Cmd
	exited    chan struct{}
}

// Start starts an n-member cluster and waits until it has a leader. It
// fails tb when the etcd server is not installed (run
// scripts/install-test-deps.sh) or does not start. The cluster is
// stopped, and its data removed, when tb ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, false)
}

// StartTLS is Start with TLS on the client URLs (https), with a server
// certificate for 127.0.0.1 from a CA of its own: see TLSConfig and
// CAFile.
func StartTLS(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, true)
}

func startCluster(tb testing.TB, n int, withTLS bool) *Cluster {
	tb.Helper()
	if _, err := os.Stat(Binary); err != nil {
		tb.Fatalf("etcdtest: %s is missing: run scripts/install-test-deps.sh (Debian package etcd-server)", Binary)
	}
	// A port picked free may be taken by another process before etcd
	// binds it; then start over with new ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		c := &Cluster{tb: tb}
		if withTLS {
			if c.certs, err = newCertificates(tb.TempDir()); err != nil {
				tb.Fatalf("etcdtest: %v", err)
			}
		}
		if err = c.start(n); err == nil {
			tb.Cleanup(c.StopAll)
			return c
		}
		c.StopAll()
	}
	tb.Fatalf("etcdtest: %v", err)
	return nil
}

func (c *Cluster) start(n int) error {
	root := c.tb.TempDir()
	var initial []string
	for i := range n {
		client, peer, err := freePorts()
		if err != nil {
			return err
		}
		scheme := "http://"
		if c.certs != nil {
			scheme = "https://"
		}
		m := &Member{
			Name:      fmt.Sprintf("m%d", i),
			ClientURL: scheme + client,
			certs:     c.certs,
			PeerURL:   "http://" + peer,
			Dir:       filepath.Join(root, fmt.Sprintf("m%d", i)),
		}
		c.Members = append(c.Members, m)
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	for _, m := range c.Members {
		m.initial = strings.Join(initial, ",")
		if err := m.start(); err != nil {
			return err
		}
	}
	return c.WaitHealthy(20 * time.Second)
}

// freePorts returns two loopback addresses whose ports the kernel has just
// picked as free.
func freePorts() (string, string, error) {
	var addrs [2]string
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", err
		}
		addrs[i] = ln.Addr().String()
		defer ln.Close()
	}
	return addrs[0], addrs[1], nil
}

func (m *Member) start() error {
	if err := os.MkdirAll(m.Dir, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(m.Dir, "etcd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := []string{
		"--name", m.Name,
		"--data-dir", filepath.Join(m.Dir, "data"),
		"--listen-client-urls", m.ClientURL,
		"--advertise-client-urls", m.ClientURL,
		"--listen-peer-urls", m.PeerURL,
		"--initial-advertise-peer-urls", m.PeerURL,
		"--initial-cluster", m.initial,
		"--initial-cluster-state", "new",
		"--initial-cluster-token", "crossgate-test",
		// etcd's default timing (heartbeat 100 ms, election 1 s): shorter
		// ones make a loaded test machine hold needless elections.
		"--logger", "zap",
		"--log-outputs", "stderr",
		"--log-level", "warn",
	}
	if m.certs != nil {
		args = append(args, "--cert-file", m.certs.certFile, "--key-file", m.certs.keyFile)
	}
	cmd := exec.Command(Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", m.Name, err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(m.exited)
	}()
	return nil
}

// Endpoints returns the client URLs of every member.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.ClientURL
	}
	return out
}

// Client returns a client of the whole cluster, closed when the test ends.
func (c *Cluster) Client() *clientv3.Client {
	c.tb.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints(),
		TLS:         c.TLSConfig(),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		c.tb.Fatalf("etcdtest: client: %v", err)
	}
	c.tb.Cleanup(func() { _ = cli.Close() })
	return cli
}

// WaitHealthy waits until every running member answers a linearizable
// read, that is until the cluster has a leader and a quorum.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, m := range c.Members {
		if !m.Running() {
			continue
		}
		for {
			if !m.Running() {
				return fmt.Errorf("%s exited; its log: %s", m.Name, m.Log())
			}
			err := m.ping()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is not healthy after %v: %v; its log: %s", m.Name, timeout, err, m.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func (m *Member) ping() error {
	conf := clientv3.Config{Endpoints: []string{m.ClientURL}, DialTimeout: time.Second, Logger: zap.NewNop()}
	if m.certs != nil {
		conf.TLS = &tls.Config{RootCAs: m.certs.pool, MinVersion: tls.VersionTLS12}
	}
	cli, err := clientv3.New(conf)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = cli.Get(ctx, "health")
	return err
}

// Leader returns the member that leads the cluster, or nil when none
// answers as the leader.
func (c *Cluster) Leader() *Member {
	c.tb.Helper()
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range c.Members {
		if !m.Running() {
			continue
		}
		st, err := cli.Status(ctx, m.ClientURL)
		if err == nil && st.Leader == st.Header.MemberId {
			return m
		}
	}
	return nil
}

// Running reports whether the member's process runs.
func (m *Member) Running() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// PID returns the member's process id, 0 when it does not run.
func (m *Member) PID() int {
	if !m.Running() {
		return 0
	}
	return m.cmd.Process.Pid
}

// Log returns the end of the member's log.
func (m *Member) Log() string {
	data, _ := os.ReadFile(filepath.Join(m.Dir, "etcd.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// Kill kills the member at once (SIGKILL), as a crashed machine stops.
func (m *Member) Kill() { m.signal(syscall.SIGKILL) }

// Stop stops the member cleanly (SIGTERM).
func (m *Member) Stop() { m.signal(syscall.SIGTERM) }

func (m *Member) signal(sig syscall.Signal) {
	if !m.Running() {
		return
	}
	_ = m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// Restart starts a stopped member again, with its data and ports.
func (c *Cluster) Restart(m *Member) {
	c.tb.Helper()
	if m.Running() {
		return
	}
	if err := m.start(); err != nil {
		c.tb.Fatalf("etcdtest: %v", err)
	}
}

// StopAll stops every member.
func (c *Cluster) StopAll() {
	for _, m := range c.Members {
		m.Stop()
	}
}

// RestartAll starts every stopped member again and waits until the
// cluster is healthy.
func (c *Cluster) RestartAll() {
	c.tb.Helper()
	for _, m := range c.Members {
		c.Restart(m)
	}
	if err := c.WaitHealthy(20 * time.Second); err != nil {
		c.tb.Fatalf("etcdtest: %v", err)
	}
}

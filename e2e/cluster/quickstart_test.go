package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quickStartPorts are the ports the README's quick start uses; the test
// runs it on free ones instead, so that it runs beside anything else.
var quickStartPorts = []string{"12379", "12380", "22379", "22380", "32379", "32380", "8081", "8082", "9181", "9182"}

// TestQuickStart runs the README's cluster quick start, command for
// command (on free ports, with this tree's crossgate on the PATH): a
// 3-member etcd cluster, two nodes, one change through the Admin API, seen
// on both nodes.
func TestQuickStart(t *testing.T) {
	t.Parallel() // each test has its own etcd cluster and nodes, mostly waiting
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- quickstart:begin[^>]*-->\n(?:<!--[^\n]*-->\n)?```sh\n(.*?)```\n<!-- quickstart:end -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no quick start between <!-- quickstart:begin --> and <!-- quickstart:end -->")
	}
	script := string(m[1])
	var pairs []string
	for _, p := range quickStartPorts {
		if !strings.Contains(script, p) {
			t.Fatalf("the quick start no longer uses port %s: update quickStartPorts", p)
		}
		pairs = append(pairs, p, freePort(t))
	}
	// All at once, so that no free port is taken for one of the README's.
	script = strings.NewReplacer(pairs...).Replace(script)

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "crossgate"), "github.com/crossgate/crossgate/cmd/crossgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "TMPDIR="+t.TempDir())
	// The script and what it starts in the background form one process
	// group, stopped as a whole whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	stopGroup(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("the quick start failed: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	seen := regexp.MustCompile(`(?mi)^access-control-allow-origin: https://new\.example\.com\r?$`).FindAllString(stdout.String(), -1)
	if len(seen) != 2 {
		t.Errorf("the change is seen on %d of 2 nodes\nstdout:\n%s\nstderr:\n%s", len(seen), &stdout, &stderr)
	}
}

// stopGroup ends a process group and waits, up to 10 s, until it is gone.
func stopGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			deadline = time.Now().Add(10 * time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a loopback port the kernel has just picked as free.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

package e2e_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

func TestLaunchRefuses(t *testing.T) {
	tests := []struct {
		name      string
		opts      e2e.Options
		wantIs    error
		wantInErr string
	}{
		{
			name:      "missing browser says how to install it",
			opts:      e2e.Options{ExecPath: "/nonexistent/chromium"},
			wantIs:    e2e.ErrNoChromium,
			wantInErr: "scripts/install-test-deps.sh",
		},
		{
			name:      "host with a space",
			opts:      e2e.Options{ExecPath: "/bin/sh", Hosts: []string{"app example.test"}},
			wantInErr: `"app example.test" is not a host name`,
		},
		{
			name:      "host with a comma would inject a resolver rule",
			opts:      e2e.Options{ExecPath: "/bin/sh", Hosts: []string{"a.test,MAP * 10.0.0.1"}},
			wantInErr: "is not a host name",
		},
		{
			name:      "empty host",
			opts:      e2e.Options{ExecPath: "/bin/sh", Hosts: []string{""}},
			wantInErr: "is not a host name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := e2e.Launch(context.Background(), tt.opts)
			if err == nil {
				b.Close()
				t.Fatal("Launch succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
		})
	}
}

// LaunchTest's promise: without Chromium a test skips on a developer's
// machine and fails in CI. The test runs itself in a child process with
// Chromium hidden, since a skip or failure would end this test.
func TestLaunchTestWithoutChromium(t *testing.T) {
	if os.Getenv("E2E_LAUNCHTEST_CHILD") != "" {
		e2e.LaunchTest(t, e2e.Options{})
		t.Log("launched")
		return
	}
	tests := []struct {
		name     string
		ci       string
		wantFail bool
		wantOut  string
	}{
		{"skips outside CI", "", false, "--- SKIP"},
		{"fails in CI", "true", true, "--- FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLaunchTestWithoutChromium$", "-test.v")
			cmd.Env = append(os.Environ(), "E2E_LAUNCHTEST_CHILD=1", "CHROMIUM=/nonexistent/chromium", "CI="+tt.ci)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v (%v), want %v", failed, err, tt.wantFail)
			}
			if !strings.Contains(string(out), tt.wantOut) || !strings.Contains(string(out), "install-test-deps.sh") {
				t.Errorf("child output lacks %q and the install hint:\n%s", tt.wantOut, out)
			}
		})
	}
}

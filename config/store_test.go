package config_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
)

// waitLimit bounds every wait for the file system to report a change; it
// is a deadline for a failing test, not a measurement.
const waitLimit = 10 * time.Second

func write(t *testing.T, path, listen string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("listen: "+listen+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreWatch(t *testing.T) {
	const before, after = "127.0.0.1:8001", "127.0.0.1:8002"
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) (path string)
		change func(t *testing.T, dir, path string)
	}{
		{
			name: "write in place",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "crossgate.yaml")
				write(t, path, before)
				return path
			},
			change: func(t *testing.T, dir, path string) { write(t, path, after) },
		},
		{
			name: "editor's atomic save: write a new file, rename it over",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "crossgate.yaml")
				write(t, path, before)
				return path
			},
			change: func(t *testing.T, dir, path string) {
				tmp := filepath.Join(dir, ".crossgate.yaml.swp")
				write(t, tmp, after)
				if err := os.Rename(tmp, path); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "Kubernetes ConfigMap update: swap of a directory symlink",
			setup: func(t *testing.T, dir string) string {
				if err := os.Mkdir(filepath.Join(dir, "..v1"), 0o700); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "..v1", "crossgate.yaml"), before)
				symlink(t, "..v1", filepath.Join(dir, "..data"))
				symlink(t, filepath.Join("..data", "crossgate.yaml"), filepath.Join(dir, "crossgate.yaml"))
				return filepath.Join(dir, "crossgate.yaml")
			},
			change: func(t *testing.T, dir, path string) {
				if err := os.Mkdir(filepath.Join(dir, "..v2"), 0o700); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "..v2", "crossgate.yaml"), after)
				symlink(t, "..v2", filepath.Join(dir, "..data_tmp"))
				if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
					t.Fatal(err)
				}
				if err := os.RemoveAll(filepath.Join(dir, "..v1")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "symlink to a file in another directory, edited in place",
			setup: func(t *testing.T, dir string) string {
				for _, d := range []string{"etc", "opt"} {
					if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
						t.Fatal(err)
					}
				}
				write(t, filepath.Join(dir, "opt", "real.yaml"), before)
				symlink(t, filepath.Join("..", "opt", "real.yaml"), filepath.Join(dir, "etc", "crossgate.yaml"))
				return filepath.Join(dir, "etc", "crossgate.yaml")
			},
			change: func(t *testing.T, dir, path string) { write(t, filepath.Join(dir, "opt", "real.yaml"), after) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.setup(t, dir)
			s := &config.FileStore{Path: path, Debounce: 10 * time.Millisecond}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			changes, err := s.Watch(ctx)
			if err != nil {
				t.Fatalf("Watch: %v", err)
			}
			c, err := s.Load(ctx)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Listen != before {
				t.Fatalf("Load before the change: listen = %q, want %q", c.Listen, before)
			}

			tc.change(t, dir, path)
			select {
			case <-changes:
			case <-time.After(waitLimit):
				t.Fatalf("no notification within %v of the change", waitLimit)
			}
			c, err = s.Load(ctx)
			if err != nil {
				t.Fatalf("Load after the change: %v", err)
			}
			if c.Listen != after {
				t.Errorf("Load after the change: listen = %q, want %q", c.Listen, after)
			}

			cancel()
			deadline := time.After(waitLimit)
			for {
				select {
				case _, open := <-changes:
					if !open {
						return
					}
				case <-deadline:
					t.Fatalf("channel still open %v after the context was cancelled", waitLimit)
				}
			}
		})
	}
}

func TestFileStoreWatchMissingDirectory(t *testing.T) {
	s := &config.FileStore{Path: filepath.Join(t.TempDir(), "no", "such", "crossgate.yaml")}
	if ch, err := s.Watch(t.Context()); err == nil {
		t.Errorf("Watch of a file in a missing directory = %v, nil; want an error", ch)
	}
}

func TestFileStoreLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := &config.FileStore{Path: "crossgate.yaml"}
	if _, err := s.Load(ctx); err != context.Canceled {
		t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
	}
}

// A Store with a file behind it is what the gateway is given.
var _ config.Store = (*config.FileStore)(nil)

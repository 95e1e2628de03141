package etcdstore

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/crossgate/crossgate/config"
)

// snapshotFile is the content of the snapshot file: the resources of the
// last good snapshot and the etcd revision they were read at.
type snapshotFile struct {
	Revision  int64                      `json:"revision"`
	Policies  map[string]json.RawMessage `json:"policies,omitempty"`
	Upstreams map[string]json.RawMessage `json:"upstreams,omitempty"`
	Routes    map[string]json.RawMessage `json:"routes,omitempty"`
	Defaults  json.RawMessage            `json:"defaults,omitempty"`
}

// writeSnapshot writes the file atomically: a crash or a full disk leaves
// the previous file whole, never a part of the new one. It is readable by
// its owner only, as it may hold CSRF secrets.
func writeSnapshot(path string, r *config.Resources, rev int64) error {
	data, err := json.Marshal(snapshotFile{Revision: rev, Policies: r.Policies, Upstreams: r.Upstreams, Routes: r.Routes, Defaults: r.Defaults})
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable once the directory is.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// readSnapshot builds the snapshot of the snapshot file, validated and
// checked as one from etcd would be.
func (s *Store) readSnapshot() (*config.Config, int64, error) {
	data, err := os.ReadFile(s.o.SnapshotFile)
	if err != nil {
		return nil, 0, err
	}
	var f snapshotFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", s.o.SnapshotFile, err)
	}
	r := &config.Resources{Policies: f.Policies, Upstreams: f.Upstreams, Routes: f.Routes, Defaults: f.Defaults}
	cfg, err := r.Config(s.o.Node)
	if err == nil && s.o.Check != nil {
		err = s.o.Check(cfg)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", s.o.SnapshotFile, err)
	}
	cfg.Revision = fmt.Sprint(f.Revision)
	return cfg, f.Revision, nil
}

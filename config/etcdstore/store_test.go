package etcdstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/internal/etcdtest"
	"github.com/prometheus/client_golang/prometheus"
)

const baseConfig = `
policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  api: {targets: [http://127.0.0.1:9001]}
routes:
  - {id: a, path_prefix: /a/, upstream: api, cors: web}
`

func node(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse("node.yaml", []byte("listen: 127.0.0.1:0\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newStore(t *testing.T, endpoints []string, o etcdstore.Options) *etcdstore.Store {
	t.Helper()
	o.Endpoints = endpoints
	if o.Node == nil {
		o.Node = node(t)
	}
	s, err := etcdstore.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func push(t *testing.T, s *etcdstore.Store, yaml string) etcdstore.Diff {
	t.Helper()
	c, err := config.Parse("push.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := s.Replace(ctx, c)
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	return d
}

// waitFor loads the store's snapshot after each change until ok accepts
// it.
func waitFor(t *testing.T, s *etcdstore.Store, changes <-chan struct{}, what string, ok func(*config.Config, error) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		cfg, err := s.Load(context.Background())
		if ok(cfg, err) {
			return
		}
		select {
		case <-changes:
		case <-deadline:
			t.Fatalf("no snapshot where %s; the last: %v, %v", what, cfg, err)
		}
	}
}

func origins(c *config.Config) []string {
	if c == nil || c.Policies["web"] == nil {
		return nil
	}
	return c.Policies["web"].AllowOrigins
}

func TestStore(t *testing.T) {
	cluster := etcdtest.Start(t, 3)
	eps := cluster.Endpoints()
	cli := cluster.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	snapFile := filepath.Join(t.TempDir(), "node.snapshot.json")

	writer := newStore(t, eps, etcdstore.Options{})
	d := push(t, writer, baseConfig)
	if want := []string{"policies/web", "upstreams/api", "routes/a"}; !slices.Equal(d.Added, want) || d.Revision == 0 {
		t.Errorf("first push: %+v, want added %q", d, want)
	}
	if d := push(t, writer, baseConfig); len(d.Added)+len(d.Changed)+len(d.Deleted) != 0 || d.Unchanged != 3 {
		t.Errorf("the same push again changed something: %+v", d)
	}

	s := newStore(t, eps, etcdstore.Options{NodeID: "n1", Version: "test", SnapshotFile: snapFile})
	changes, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, changes, "the pushed policy is served", func(c *config.Config, err error) bool {
		return err == nil && slices.Equal(origins(c), []string{"https://app.example.com"})
	})
	if s.Ready() != nil {
		t.Errorf("not ready after a snapshot: %v", s.Ready())
	}

	t.Run("a change through Change is served", func(t *testing.T) {
		r, err := writer.Resources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v := r.Versions["policies/web"]
		newV, err := writer.Change(ctx, config.KindPolicies, "web", json.RawMessage(`{"allow_origins": ["https://b.example.com"]}`), v)
		if err != nil || newV <= v {
			t.Fatalf("Change: %d, %v", newV, err)
		}
		waitFor(t, s, changes, "the changed policy is served", func(c *config.Config, err error) bool {
			return err == nil && slices.Equal(origins(c), []string{"https://b.example.com"})
		})
		_, err = writer.Change(ctx, config.KindPolicies, "web", json.RawMessage(`{"allow_origins": ["https://c.example.com"]}`), v)
		var conflict *config.ConflictError
		if !errors.As(err, &conflict) || conflict.Version != newV {
			t.Errorf("a change on an old version: %v, want a conflict at version %d", err, newV)
		}
	})

	t.Run("Change refuses", func(t *testing.T) {
		_, err := writer.Change(ctx, config.KindPolicies, "web", nil, 0)
		var inUse *config.InUseError
		if !errors.As(err, &inUse) || !slices.Equal(inUse.Routes, []string{"a"}) {
			t.Errorf("deleting a used policy: %v, want in use by route a", err)
		}
		_, err = writer.Change(ctx, config.KindRoutes, "b", json.RawMessage(`{"path_prefix": "/b/", "upstream": "nope"}`), 0)
		var es config.Errors
		if !errors.As(err, &es) || !strings.HasPrefix(es[0].Path, "routes.b.upstream") {
			t.Errorf("a route on a missing upstream: %v, want an error at routes.b.upstream", err)
		}
		if _, err := writer.Change(ctx, config.KindRoutes, "nope", nil, 0); !errors.Is(err, config.ErrNotFound) {
			t.Errorf("deleting a missing route: %v, want ErrNotFound", err)
		}
	})

	t.Run("an invalid snapshot put straight into etcd is refused", func(t *testing.T) {
		if _, err := cli.Put(ctx, "/crossgate/routes/bad", `{"path_prefix": "/bad/", "upstream": "missing"}`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, changes, "the snapshot is refused", func(c *config.Config, err error) bool {
			var es config.Errors
			return errors.As(err, &es) && strings.Contains(err.Error(), "routes.bad.upstream")
		})
		st := s.Status()
		if st.RefusedRevision == 0 || st.RefusedRevision <= st.AppliedRevision || len(st.RefusedErrors) == 0 {
			t.Errorf("status after a refused snapshot: %+v", st)
		}
		if n := metricValue(t, s, "crossgate_config_refused_total", ""); n != 1 {
			t.Errorf("refused snapshots = %v, want 1", n)
		}
		if _, err := cli.Delete(ctx, "/crossgate/routes/bad"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s, changes, "the fixed snapshot is served", func(c *config.Config, err error) bool { return err == nil })
	})

	t.Run("the node reports its status", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			nodes, err := writer.Nodes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var st etcdstore.NodeStatus
			if len(nodes) == 1 && json.Unmarshal(nodes[0], &st) == nil && st.ID == "n1" && st.AppliedRevision == s.Status().AppliedRevision && st.Source == etcdstore.SourceEtcd {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("nodes = %s, want n1 at revision %d", nodes, s.Status().AppliedRevision)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("compaction past the node's revision loses no change", func(t *testing.T) {
		// A node that reaches etcd through one member only misses the
		// changes made while that member is down, and the compaction
		// after them: its watch resumes at a compacted revision.
		sc := newStore(t, eps[:1], etcdstore.Options{})
		chc, _ := sc.Watch(ctx)
		waitFor(t, sc, chc, "the node has a snapshot", func(c *config.Config, err error) bool { return err == nil && c.Revision != "0" })
		cluster.Members[0].Stop()
		var last int64
		for _, o := range []string{"https://d.example.com", "https://e.example.com"} {
			resp, err := cli.Put(ctx, "/crossgate/policies/web", `{"allow_origins": ["`+o+`"]}`)
			if err != nil {
				t.Fatal(err)
			}
			last = resp.Header.Revision
		}
		if _, err := cli.Compact(ctx, last); err != nil {
			t.Fatal(err)
		}
		cluster.Restart(cluster.Members[0])
		waitFor(t, sc, chc, "the last change is served", func(c *config.Config, err error) bool {
			return err == nil && slices.Equal(origins(c), []string{"https://e.example.com"})
		})
		if n := metricValue(t, sc, "crossgate_config_resyncs_total", "compacted"); n < 1 {
			t.Errorf("resyncs after compaction = %v, want at least 1", n)
		}
	})

	t.Run("a node started while etcd is down serves its snapshot file", func(t *testing.T) {
		if _, err := os.Stat(snapFile); err != nil {
			t.Fatalf("no snapshot file: %v", err)
		}
		cluster.StopAll()
		s2 := newStore(t, eps, etcdstore.Options{SnapshotFile: snapFile, StartTimeout: 500 * time.Millisecond})
		cfg, err := s2.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(origins(cfg), []string{"https://e.example.com"}) || s2.Status().Source != etcdstore.SourceCache || s2.Ready() != nil {
			t.Errorf("served %q from %s (ready: %v), want the snapshot file's policy", origins(cfg), s2.Status().Source, s2.Ready())
		}
		s3 := newStore(t, eps, etcdstore.Options{StartTimeout: 500 * time.Millisecond})
		cfg, err = s3.Load(ctx)
		if err != nil || len(cfg.Routes) != 0 || s3.Ready() == nil {
			t.Errorf("without a snapshot file: %v routes, err %v, ready %v; want no routes, not ready", len(cfg.Routes), err, s3.Ready())
		}
		cluster.RestartAll()
		ch3, _ := s3.Watch(ctx)
		waitFor(t, s3, ch3, "etcd's config is served once it is back", func(c *config.Config, err error) bool {
			return err == nil && slices.Equal(origins(c), []string{"https://e.example.com"})
		})
		if s3.Ready() != nil {
			t.Errorf("not ready once etcd answered: %v", s3.Ready())
		}
	})

	t.Run("a node started on an invalid config in etcd serves its snapshot file", func(t *testing.T) {
		if _, err := cli.Put(ctx, "/crossgate/routes/bad", `{"path_prefix": "/bad/", "upstream": "missing"}`); err != nil {
			t.Fatal(err)
		}
		defer cli.Delete(ctx, "/crossgate/routes/bad")
		s4 := newStore(t, eps, etcdstore.Options{SnapshotFile: snapFile})
		cfg, err := s4.Load(ctx)
		if err != nil || !slices.Equal(origins(cfg), []string{"https://e.example.com"}) || s4.Status().Source != etcdstore.SourceCache {
			t.Fatalf("first Load: %q, %v from %s; want the snapshot file's config", origins(cfg), err, s4.Status().Source)
		}
		var es config.Errors
		if _, err := s4.Load(ctx); !errors.As(err, &es) {
			t.Errorf("a later Load: %v, want the invalid config's errors", err)
		}
	})
}

// metricValue returns the value of the metric name of c whose one label
// has the value label ("" for a metric without labels).
func metricValue(t *testing.T, c prometheus.Collector, name, label string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 0 && label == "" || len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

// TestStoreAuth: with etcd's authentication on, a store with the user's
// password reads and writes, and one without is refused.
func TestStoreAuth(t *testing.T) {
	cluster := etcdtest.Start(t, 1)
	cli := cluster.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, step := range []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", "root-password"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("enabling etcd auth: %v", err)
		}
	}
	s := newStore(t, cluster.Endpoints(), etcdstore.Options{Username: "root", Password: "root-password"})
	push(t, s, baseConfig)
	if r, err := s.Resources(ctx); err != nil || len(r.Policies) != 1 {
		t.Errorf("with the password: %v, %v", r, err)
	}
	anonymous := newStore(t, cluster.Endpoints(), etcdstore.Options{RequestTimeout: time.Second})
	if _, err := anonymous.Resources(ctx); err == nil {
		t.Error("without a password, etcd answered")
	}
}

package cluster_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/internal/etcdtest"
)

// startCluster starts a 3-member etcd cluster with the shared config and
// three nodes on it.
func startCluster(t testing.TB) (*etcdtest.Cluster, []*node) {
	t.Helper()
	etcd := etcdtest.Start(t, 3)
	pushConfig(t, etcd.Endpoints(), backend(t))
	dir := t.TempDir()
	var nodes []*node
	for i := range 3 {
		nodes = append(nodes, startNode(t, dir, fmt.Sprintf("n%d", i+1), etcd.Endpoints()))
	}
	waitAllow(t, nodes, appOrigin, 10*time.Second)
	return etcd, nodes
}

// TestPropagation: a policy changed through one node's Admin API is served
// by every node.
func TestPropagation(t *testing.T) {
	t.Parallel() // each test has its own etcd cluster and nodes, mostly waiting
	_, nodes := startCluster(t)
	for i, n := range nodes {
		origin := fmt.Sprintf("https://change-%d.example.com", i)
		putOrigins(t, n, 0, appOrigin, origin)
		waitAllow(t, nodes, origin, 5*time.Second)
	}

	t.Run("keys and roles", func(t *testing.T) {
		url := nodes[0].admin + "/v1/policies/web"
		body := `{"allow_origins": ["https://app.example.com"]}`
		for _, tt := range []struct {
			name, method, key string
			status            int
		}{
			{"no key", "GET", "", 401},
			{"a wrong key", "GET", "cluster-admin-key-0123456780", 401},
			{"a viewer reads", "GET", viewerKey, 200},
			{"a viewer writes", "PUT", viewerKey, 403},
		} {
			if status, _, resp := call(t, tt.method, url, tt.key, body, ""); status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, status, resp, tt.status)
			}
		}
	})
}

// TestFaults runs each fault with traffic flowing to every node, and
// counts every request: none may fail.
func TestFaults(t *testing.T) {
	t.Parallel() // each test has its own etcd cluster and nodes, mostly waiting
	etcd, nodes := startCluster(t)
	// A fourth node reaches etcd through the first member only, so that it
	// misses changes while that member is down.
	single := startNode(t, t.TempDir(), "single", etcd.Endpoints()[:1])
	all := append(nodes, single)
	tr := startTraffic(all, 4)
	defer tr.finish(t)

	t.Run("the etcd leader killed", func(t *testing.T) {
		leader := etcd.Leader()
		if leader == nil {
			t.Fatal("the etcd cluster has no leader")
		}
		leader.Kill()
		putOrigins(t, nodes[0], 20*time.Second, appOrigin, "https://member-down.example.com")
		// The nodes that know every member see the change while the leader
		// is down; single knows only the first member, which may be it.
		waitAllow(t, nodes, "https://member-down.example.com", 10*time.Second)
		etcd.Restart(leader)
		if err := etcd.WaitHealthy(20 * time.Second); err != nil {
			t.Fatal(err)
		}
		waitAllow(t, all, "https://member-down.example.com", 10*time.Second)
	})

	t.Run("the whole etcd cluster stopped", func(t *testing.T) {
		etcd.StopAll()
		status, _, body := call(t, "PUT", nodes[1].admin+"/v1/policies/web", adminKey, `{"allow_origins": ["https://app.example.com"]}`, "")
		if status != 503 || !strings.Contains(body, "etcd") {
			t.Errorf("a write while etcd is down: %d %s, want 503 naming etcd", status, body)
		}
		time.Sleep(time.Second) // traffic flows on the last good config
		etcd.RestartAll()
		putOrigins(t, nodes[1], 20*time.Second, appOrigin, "https://etcd-back.example.com")
		waitAllow(t, all, "https://etcd-back.example.com", 10*time.Second)
	})

	t.Run("an invalid snapshot put with etcdctl", func(t *testing.T) {
		etcdctl(t, etcd, "put", "/crossgate/routes/broken", `{"path_prefix": "/broken/", "upstream": "missing"}`)
		deadline := time.Now().Add(10 * time.Second)
		for _, n := range all {
			for n.metric(t, "crossgate_config_refused_total") != "1" {
				if time.Now().After(deadline) {
					t.Fatalf("node %s has not refused the snapshot: refused_total %q", n.name, n.metric(t, "crossgate_config_refused_total"))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Every node says so in /v1/nodes, with the error.
		for {
			status, _, body := call(t, "GET", nodes[2].admin+"/v1/nodes", viewerKey, "", "")
			if status != 200 {
				t.Fatalf("GET /v1/nodes: %d %s", status, body)
			}
			if refusedEverywhere(t, body, len(all)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/v1/nodes does not show the refusal on every node: %s", body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		waitAllow(t, all, "https://etcd-back.example.com", time.Second) // the last good config
		etcdctl(t, etcd, "del", "/crossgate/routes/broken")
	})

	t.Run("a node restarted while etcd is down", func(t *testing.T) {
		putOrigins(t, nodes[2], 10*time.Second, appOrigin, "https://before-restart.example.com")
		waitAllow(t, all, "https://before-restart.example.com", 10*time.Second)
		etcd.StopAll()
		n := nodes[2]
		tr.setOut(n, true)
		n.shutdown()
		n.start(t)
		if ok, err := n.allows("https://before-restart.example.com"); !ok {
			t.Errorf("the restarted node does not serve its snapshot file at once (%v)", err)
		}
		if v := n.metric(t, `crossgate_config_source{source="file"}`); v != "1" {
			t.Errorf(`crossgate_config_source{source="file"} = %q, want 1`, v)
		}
		if status, _, body := call(t, "GET", n.admin+"/readyz", "", "", ""); status != 200 || !strings.Contains(body, "snapshot file") {
			t.Errorf("readyz = %d %q, want 200 saying it serves the snapshot file", status, body)
		}
		tr.setOut(n, false)
		time.Sleep(500 * time.Millisecond) // traffic on the restarted node
		etcd.RestartAll()
		putOrigins(t, nodes[0], 20*time.Second, appOrigin, "https://after-restart.example.com")
		waitAllow(t, all, "https://after-restart.example.com", 10*time.Second)
	})

	t.Run("compaction past a node's revision", func(t *testing.T) {
		etcd.Members[0].Stop() // single's only member
		origins := []string{"https://compacted-1.example.com", "https://compacted-2.example.com"}
		putOrigins(t, nodes[1], 20*time.Second, appOrigin, origins[0])
		putOrigins(t, nodes[1], 20*time.Second, appOrigin, origins[1])
		status, _, body := call(t, "GET", nodes[1].admin+"/v1/config", viewerKey, "", "")
		var cfg struct{ Revision string }
		if status != 200 || json.Unmarshal([]byte(body), &cfg) != nil {
			t.Fatalf("GET /v1/config: %d %s", status, body)
		}
		etcdctl(t, etcd, "compact", cfg.Revision)
		etcd.Restart(etcd.Members[0])
		waitAllow(t, all, origins[1], 20*time.Second)
		if v, _ := strconv.Atoi(single.metric(t, `crossgate_config_resyncs_total{reason="compacted"}`)); v < 1 {
			t.Errorf("the node behind the compaction did not resync: resyncs{compacted} = %d", v)
		}
	})
}

// refusedEverywhere reports whether every node of a /v1/nodes body
// reports a refused revision past its applied one, with errors.
func refusedEverywhere(t *testing.T, body string, want int) bool {
	t.Helper()
	var nodes struct{ Nodes []etcdstore.NodeStatus }
	if err := json.Unmarshal([]byte(body), &nodes); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, st := range nodes.Nodes {
		if st.RefusedRevision > st.AppliedRevision && len(st.RefusedErrors) > 0 && strings.Contains(st.RefusedErrors[0], "routes.broken.upstream") {
			n++
		}
	}
	return n == want
}

// etcdctl runs etcd's own command line client against the cluster.
func etcdctl(t *testing.T, etcd *etcdtest.Cluster, args ...string) {
	t.Helper()
	cmd := exec.Command("/usr/bin/etcdctl", append([]string{"--endpoints", strings.Join(etcd.Endpoints(), ",")}, args...)...)
	cmd.Env = append(cmd.Environ(), "ETCDCTL_API=3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("etcdctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestConcurrentUpdates: 20 clients each make 50 read-modify-write
// updates of one policy through different nodes, retrying on 409; the
// final value accounts for every update.
func TestConcurrentUpdates(t *testing.T) {
	t.Parallel() // each test has its own etcd cluster and nodes, mostly waiting
	_, nodes := startCluster(t)
	const clients, updates = 20, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := nodes[c%len(nodes)]
			url := n.admin + "/v1/policies/web"
			for range updates {
				for attempt := 0; ; attempt++ {
					status, etag, body := call(t, "GET", url, viewerKey, "", "")
					if status != 200 {
						t.Errorf("GET: %d %s", status, body)
						return
					}
					var p map[string]any
					if err := json.Unmarshal([]byte(body), &p); err != nil {
						t.Error(err)
						return
					}
					p["max_age"] = p["max_age"].(float64) + 1
					next, _ := json.Marshal(p)
					status, _, body = call(t, "PUT", url, adminKey, string(next), etag)
					if status == 200 {
						break
					}
					if status != 409 || attempt > 1000 {
						t.Errorf("PUT: %d %s", status, body)
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
					// Back off at random, longer after each conflict, as
					// a client should.
					time.Sleep(time.Duration(rand.IntN(1<<min(attempt, 6))) * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	status, _, body := call(t, "GET", nodes[0].admin+"/v1/policies/web", viewerKey, "", "")
	var p struct {
		MaxAge int `json:"max_age"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
		t.Fatalf("GET: %d %s", status, body)
	}
	t.Logf("%d updates, %d conflicts retried", clients*updates, conflicts)
	if p.MaxAge != clients*updates {
		t.Errorf("max_age = %d after %d increments: %d updates lost", p.MaxAge, clients*updates, clients*updates-p.MaxAge)
	}
}

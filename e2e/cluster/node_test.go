// Package cluster_test runs Crossgate's cluster mode for real: a 3-member
// etcd cluster (internal/etcdtest) and gateway nodes in this process, each
// with its own etcd store, admin listener and snapshot file, all on
// loopback.
package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/lint"
)

const (
	adminKey  = "cluster-admin-key-0123456789"
	viewerKey = "cluster-viewer-key-0123456789"
	appOrigin = "https://app.example.com"
)

// sharedConfig is what the tests push: one policy, one upstream (the
// backend's URL is filled in), one route.
const sharedConfig = `
policies:
  web: {allow_origins: ["https://app.example.com"], allow_methods: [GET, PUT]}
upstreams:
  api: {targets: ["%s"]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
`

const nodeConfig = `
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
  keys:
    - {name: ops, key: "` + adminKey + `", role: admin}
    - {name: dash, key: "` + viewerKey + `", role: viewer}
`

// backend is the upstream of every node: it answers 200 "ok".
func backend(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// pushConfig replaces the cluster's config with sharedConfig.
func pushConfig(t testing.TB, endpoints []string, upstream string) {
	t.Helper()
	c, err := config.Parse("shared.yaml", []byte(fmt.Sprintf(sharedConfig, upstream)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := etcdstore.New(etcdstore.Options{Endpoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.Replace(ctx, c); err != nil {
		t.Fatalf("push: %v", err)
	}
}

// node is one gateway of the cluster, run in this process.
type node struct {
	name      string
	endpoints []string
	snapshot  string
	store     *etcdstore.Store
	srv       *gateway.Server
	url       string // the gateway's
	admin     string // the admin listener's
	stop      context.CancelFunc
	done      chan error
}

// startNode starts a gateway node and waits until it listens. A node
// started again with the same name keeps its snapshot file.
func startNode(t testing.TB, dir, name string, endpoints []string) *node {
	t.Helper()
	n := &node{name: name, endpoints: endpoints, snapshot: filepath.Join(dir, name+".snapshot.json")}
	n.start(t)
	t.Cleanup(n.shutdown)
	return n
}

func (n *node) start(t testing.TB) {
	t.Helper()
	nodeCfg, err := config.Parse(n.name+".yaml", []byte(nodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	check := func(c *config.Config) error { return lint.Refuse(lint.Check(c)) }
	n.store, err = etcdstore.New(etcdstore.Options{
		Endpoints:    n.endpoints,
		Node:         nodeCfg,
		NodeID:       n.name,
		Version:      "test",
		SnapshotFile: n.snapshot,
		Check:        check,
		StartTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan [2]net.Addr, 1)
	n.srv = &gateway.Server{Store: n.store, Check: check, Ready: func(gw, admin net.Addr) { ready <- [2]net.Addr{gw, admin} }}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop, n.done = cancel, make(chan error, 1)
	go func() { n.done <- n.srv.Run(ctx) }()
	select {
	case addrs := <-ready:
		n.url, n.admin = "http://"+addrs[0].String(), "http://"+addrs[1].String()
	case err := <-n.done:
		t.Fatalf("node %s did not start: %v", n.name, err)
	case <-time.After(20 * time.Second):
		t.Fatalf("node %s did not start in 20s", n.name)
	}
}

// shutdown stops the node and waits until it has.
func (n *node) shutdown() {
	if n.stop == nil {
		return
	}
	n.stop()
	<-n.done
	_ = n.store.Close()
	n.stop = nil
}

// client is the HTTP client of the tests: loopback only, bounded, and
// patient enough for an Admin API request that waits on etcd (10 s).
var client = &http.Client{Timeout: 30 * time.Second}

// call sends an Admin API request with a key and returns the status, the
// ETag and the body.
func call(t testing.TB, method, url, key, body, ifMatch string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag"), string(data)
}

// allows reports whether the node answers a preflight from origin as
// allowed.
func (n *node) allows(origin string) (bool, error) {
	req, _ := http.NewRequest("OPTIONS", n.url+"/api/x", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.Header.Get("Access-Control-Allow-Origin") == origin, nil
}

// waitAllow waits until every node allows origin, asking each every
// 20 ms.
func waitAllow(t testing.TB, nodes []*node, origin string, within time.Duration) {
	t.Helper()
	waitAllowEvery(t, nodes, origin, within, 20*time.Millisecond)
}

// waitAllowEvery waits until every node allows origin, asking each every
// interval.
func waitAllowEvery(t testing.TB, nodes []*node, origin string, within, interval time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, n := range nodes {
		for {
			ok, err := n.allows(origin)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s does not allow %s after %v (%v)", n.name, origin, within, err)
			}
			time.Sleep(interval)
		}
	}
}

// putOrigins sets the web policy's origins through a node's Admin API,
// retrying while etcd is unavailable (503) until the deadline.
func putOrigins(t testing.TB, n *node, within time.Duration, origins ...string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"allow_origins": origins, "allow_methods": []string{"GET", "PUT"}})
	deadline := time.Now().Add(within)
	for {
		status, _, resp := call(t, "PUT", n.admin+"/v1/policies/web", adminKey, string(body), "")
		if status == 200 {
			return
		}
		if status != 503 || time.Now().After(deadline) {
			t.Fatalf("PUT /v1/policies/web: %d %s", status, resp)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metric returns the value of a metric line of a node's /metrics, such as
// `crossgate_config_source{source="file"}`.
func (n *node) metric(t testing.TB, line string) string {
	t.Helper()
	resp, err := client.Get(n.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, line+" "); ok {
			return v
		}
	}
	return ""
}

// traffic sends requests to the nodes in rotation, one at a time per
// worker, and counts them: every request must be answered 200 with the
// CORS headers of the allowed origin.
type traffic struct {
	mu       sync.Mutex
	idle     *sync.Cond // signalled when a request ends
	nodes    []*node
	out      map[*node]bool // taken out of rotation (restarting)
	inFlight map[*node]int
	sent     atomic.Int64
	failed   atomic.Int64
	failures []string
	stop     context.CancelFunc
	done     sync.WaitGroup
}

// maxRequests bounds the requests of one traffic run.
const maxRequests = 200_000

func startTraffic(nodes []*node, workers int) *traffic {
	tr := &traffic{nodes: nodes, out: map[*node]bool{}, inFlight: map[*node]int{}}
	tr.idle = sync.NewCond(&tr.mu)
	ctx, cancel := context.WithCancel(context.Background())
	tr.stop = cancel
	for w := range workers {
		tr.done.Add(1)
		go func() {
			defer tr.done.Done()
			for i := w; ctx.Err() == nil && tr.sent.Load() < maxRequests; i++ {
				n := tr.pick(i)
				if n == nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				tr.send(n)
				tr.mu.Lock()
				tr.inFlight[n]--
				tr.idle.Broadcast()
				tr.mu.Unlock()
				time.Sleep(2 * time.Millisecond) // a steady flow, not a load test
			}
		}()
	}
	return tr
}

// pick returns the next node in rotation, counting a request in flight
// to it.
func (tr *traffic) pick(i int) *node {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for j := range tr.nodes {
		if n := tr.nodes[(i+j)%len(tr.nodes)]; !tr.out[n] {
			tr.inFlight[n]++
			return n
		}
	}
	return nil
}

// setOut takes a node out of rotation, once its requests in flight are
// answered, or puts it back, as a load balancer does around a restart.
func (tr *traffic) setOut(n *node, out bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.out[n] = out
	for out && tr.inFlight[n] > 0 {
		tr.idle.Wait()
	}
}

func (tr *traffic) send(n *node) {
	tr.sent.Add(1)
	req, _ := http.NewRequest("GET", n.url+"/api/x", nil)
	req.Header.Set("Origin", appOrigin)
	resp, err := client.Do(req)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && resp.Header.Get("Access-Control-Allow-Origin") == appOrigin && bytes.Equal(body, []byte("ok")) {
			return
		}
		err = fmt.Errorf("status %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	tr.failed.Add(1)
	tr.mu.Lock()
	if len(tr.failures) < 10 {
		tr.failures = append(tr.failures, fmt.Sprintf("%s: %v", n.name, err))
	}
	tr.mu.Unlock()
}

// finish stops the traffic and fails t on any failed request.
func (tr *traffic) finish(t testing.TB) {
	t.Helper()
	tr.stop()
	tr.done.Wait()
	t.Logf("traffic: %d requests, %d failed", tr.sent.Load(), tr.failed.Load())
	if tr.failed.Load() > 0 {
		t.Errorf("%d of %d requests failed, e.g. %q", tr.failed.Load(), tr.sent.Load(), tr.failures)
	}
	if tr.sent.Load() < 100 {
		t.Errorf("only %d requests were sent", tr.sent.Load())
	}
}

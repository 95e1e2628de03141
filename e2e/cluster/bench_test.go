package cluster_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/etcdtest"
)

// changes is how many policy changes each benchmark run makes.
const changes = 100

// BenchmarkPropagation measures, over 100 policy changes on a 3-member
// etcd cluster with 3 nodes, the time from the Admin API's answer to the
// first moment every node answers a preflight with the new policy.
// Run it with -benchtime 1x.
func BenchmarkPropagation(b *testing.B) {
	_, nodes := startCluster(b)
	for b.Loop() {
		var delays []time.Duration
		for i := range changes {
			origin := fmt.Sprintf("https://bench-%d.example.com", i)
			putOrigins(b, nodes[i%len(nodes)], 0, appOrigin, origin)
			start := time.Now()
			waitAllowEvery(b, nodes, origin, 10*time.Second, 500*time.Microsecond)
			delays = append(delays, time.Since(start))
		}
		reportDelays(b, delays)
	}
}

// BenchmarkPropagation100Nodes runs 100 nodes in this process, each with
// its own etcd client and watch, on a 3-member cluster, and measures over
// 100 changes the time from the Admin API's answer until every node has
// applied the change, and the CPU time etcd's members spend (from
// /proc/PID/stat): idle with 100 nodes connected, and per change.
// Run it with -benchtime 1x.
func BenchmarkPropagation100Nodes(b *testing.B) {
	const n = 100
	etcd := etcdtest.Start(b, 3)
	pushConfig(b, etcd.Endpoints(), backend(b))
	dir := b.TempDir()
	var nodes []*node
	for i := range n {
		nodes = append(nodes, startNode(b, dir, fmt.Sprintf("n%03d", i), etcd.Endpoints()))
	}
	for b.Loop() {
		idleStart, idleCPU := time.Now(), etcdCPU(b, etcd)
		time.Sleep(10 * time.Second)
		idle := (etcdCPU(b, etcd) - idleCPU).Seconds() / time.Since(idleStart).Seconds()

		runStart, runCPU := time.Now(), etcdCPU(b, etcd)
		var delays []time.Duration
		for i := range changes {
			body, _ := json.Marshal(map[string]any{"allow_origins": []string{appOrigin, fmt.Sprintf("https://bench-%d.example.com", i)}})
			status, _, resp := call(b, "PUT", nodes[i%n].admin+"/v1/policies/web", adminKey, string(body), "")
			if status != 200 {
				b.Fatalf("PUT: %d %s", status, resp)
			}
			start := time.Now()
			var change struct{ Version int64 }
			if err := json.Unmarshal([]byte(resp), &change); err != nil {
				b.Fatal(err)
			}
			waitApplied(b, nodes, change.Version)
			delays = append(delays, time.Since(start))
		}
		// The nodes' status writes after the last change are part of its
		// cost.
		time.Sleep(time.Second)
		cpu := etcdCPU(b, etcd) - runCPU
		reportDelays(b, delays)
		b.ReportMetric(idle*100, "etcd-idle-%cpu")
		b.ReportMetric(cpu.Seconds()/changes*1000, "etcd-cpu-ms/change")
		b.ReportMetric(cpu.Seconds()/time.Since(runStart).Seconds()*100, "etcd-run-%cpu")
	}
}

// waitApplied waits until every node's gateway serves revision rev or a
// later one.
func waitApplied(b *testing.B, nodes []*node, rev int64) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if c := n.srv.Config(); c != nil {
					if r, _ := strconv.ParseInt(c.Revision, 10, 64); r >= rev {
						return
					}
				}
				time.Sleep(time.Millisecond)
			}
			b.Errorf("node %s has not applied revision %d", n.name, rev)
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

func reportDelays(b *testing.B, delays []time.Duration) {
	slices.Sort(delays)
	pct := func(p float64) float64 {
		return float64(delays[int(p*float64(len(delays)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// etcdCPU returns the CPU time (user and system) the members have used.
func etcdCPU(b *testing.B, etcd *etcdtest.Cluster) time.Duration {
	b.Helper()
	var total time.Duration
	for _, m := range etcd.Members {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.PID()))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name, which may hold spaces: state is
		// the first, utime the 12th and stime the 13th.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		// The kernel counts in USER_HZ, 100 a second on Linux.
		total += time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return total
}

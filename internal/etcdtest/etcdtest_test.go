package etcdtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestCluster checks the cluster, and that the client module works with
// the machine's etcd server (3.4) for every call the etcd store makes:
// transactions, leases, watches from a revision, and compaction.
func TestCluster(t *testing.T) {
	c := etcdtest.Start(t, 3)
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	put, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision("/t/a"), "=", 0)).Then(clientv3.OpPut("/t/a", "1")).Commit()
	if err != nil || !put.Succeeded {
		t.Fatalf("txn: %v %v", put, err)
	}
	lease, err := cli.Grant(ctx, 5)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	if _, err := cli.Put(ctx, "/t/lease", "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatalf("put with lease: %v", err)
	}
	w := cli.Watch(ctx, "/t/", clientv3.WithPrefix(), clientv3.WithRev(put.Header.Revision))
	select {
	case resp := <-w:
		if len(resp.Events) == 0 || string(resp.Events[0].Kv.Key) != "/t/a" {
			t.Fatalf("watch from the txn's revision: %+v", resp)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}

	// With one member killed the other two are a quorum, once they have
	// elected a leader if the killed one was it.
	c.Members[0].Kill()
	for {
		_, err := cli.Put(ctx, "/t/b", "2")
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("put with a member down: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Restart(c.Members[0])

	last, err := cli.Put(ctx, "/t/c", "3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, last.Header.Revision); err != nil {
		t.Fatalf("compact: %v", err)
	}
	wc := cli.Watch(ctx, "/t/", clientv3.WithPrefix(), clientv3.WithRev(put.Header.Revision))
	select {
	case resp := <-wc:
		if resp.CompactRevision != last.Header.Revision {
			t.Fatalf("watch from a compacted revision: compact revision %d, want %d (err %v)", resp.CompactRevision, last.Header.Revision, resp.Err())
		}
	case <-ctx.Done():
		t.Fatal("no answer to a watch from a compacted revision")
	}

	c.StopAll()
	for _, m := range c.Members {
		if m.Running() {
			t.Errorf("%s still runs after StopAll", m.Name)
		}
	}
}

package etcdstore

import (
	"context"
	"encoding/json"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// NodeStatus is what a node reports under <prefix>/nodes/<id>, and what
// GET /v1/nodes lists.
type NodeStatus struct {
	ID      string    `json:"id"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	// Source is where the served config came from: etcd, file (the
	// snapshot file, etcd being unreachable at start) or none.
	Source Source `json:"source"`
	// AppliedRevision is the etcd revision of the served config.
	AppliedRevision int64     `json:"applied_revision"`
	AppliedAt       time.Time `json:"applied_at,omitzero"`
	// RefusedRevision is the last revision whose config the node refused,
	// and RefusedErrors why; a later AppliedRevision means it was fixed.
	RefusedRevision int64     `json:"refused_revision,omitempty"`
	RefusedErrors   []string  `json:"refused_errors,omitempty"`
	Reported        time.Time `json:"reported"`
}

// Status returns the node's status.
func (s *Store) Status() NodeStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return NodeStatus{
		ID:              s.o.NodeID,
		Version:         s.o.Version,
		Started:         s.started.UTC(),
		Source:          s.source,
		AppliedRevision: s.applied,
		AppliedAt:       s.appliedAt.UTC(),
		RefusedRevision: s.refused,
		RefusedErrors:   s.refusedErr,
		Reported:        time.Now().UTC(),
	}
}

// statusInterval is the shortest time between two status writes of a
// node: a burst of changes costs etcd one write per node, not one per
// change per node.
const statusInterval = 500 * time.Millisecond

// report keeps the node's status under a lease until ctx is done, when it
// revokes the lease so that the node leaves the list at once. A node whose
// process dies leaves it when the lease expires.
func (s *Store) report(ctx context.Context) {
	key := s.prefix + "nodes/" + s.o.NodeID
	var b backoff
	for ctx.Err() == nil {
		cli, err := s.client()
		var lease clientv3.LeaseID
		var ka <-chan *clientv3.LeaseKeepAliveResponse
		if err == nil {
			lease, ka, err = s.grant(ctx, cli)
		}
		if err != nil {
			s.metrics.up.Set(0)
			b.wait(ctx)
			continue
		}
		b = backoff{}
		s.markStatusLocked()
		last := time.Time{}
	kept:
		for {
			select {
			case <-ctx.Done():
				// Leave at once, unless etcd is down: then the lease
				// expires.
				rctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, _ = cli.Revoke(rctx, lease)
				cancel()
				return
			case _, ok := <-ka:
				if !ok {
					// The lease expired (etcd was unreachable for its
					// whole TTL) or was revoked: take a new one.
					s.metrics.up.Set(0)
					break kept
				}
			case <-s.statusDirty:
				if wait := statusInterval - time.Since(last); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						continue
					}
				}
				last = time.Now()
				data, _ := json.Marshal(s.Status())
				rctx, cancel := s.ctx(ctx)
				_, err := cli.Put(rctx, key, string(data), clientv3.WithLease(lease))
				cancel()
				if err != nil {
					s.markStatusLocked() // try again
				}
			}
		}
		b.wait(ctx)
	}
}

func (s *Store) grant(ctx context.Context, cli *clientv3.Client) (clientv3.LeaseID, <-chan *clientv3.LeaseKeepAliveResponse, error) {
	rctx, cancel := s.ctx(ctx)
	defer cancel()
	g, err := cli.Grant(rctx, int64(s.o.LeaseTTL/time.Second))
	if err != nil {
		return 0, nil, err
	}
	ka, err := cli.KeepAlive(ctx, g.ID)
	if err != nil {
		return 0, nil, err
	}
	return g.ID, ka, nil
}

func (s *Store) markStatusLocked() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markStatus()
}

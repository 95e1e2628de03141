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

// Every node's status write reaches every node's watch on the prefix, so a
// cluster of N nodes pays N² event deliveries for each round of status
// writes. A node therefore writes a new applied revision at most every
// statusRoutine (a burst of changes costs one write per node, not one per
// change per node), and news that an operator waits for (a refused config,
// a change of source) at most every statusUrgent.
const (
	statusUrgent  = 500 * time.Millisecond
	statusRoutine = 5 * time.Second
)

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
		s.markStatusLocked(true)
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
				s.mu.Lock()
				interval := statusRoutine
				if s.statusUrgent {
					interval = statusUrgent
				}
				s.mu.Unlock()
				if wait := interval - time.Since(last); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						continue
					}
				}
				last = time.Now()
				s.mu.Lock()
				s.statusUrgent = false
				s.mu.Unlock()
				data, _ := json.Marshal(s.Status())
				rctx, cancel := s.ctx(ctx)
				_, err := cli.Put(rctx, key, string(data), clientv3.WithLease(lease))
				cancel()
				if err != nil {
					s.markStatusLocked(true) // try again
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

func (s *Store) markStatusLocked(urgent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markStatus(urgent)
}

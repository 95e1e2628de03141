package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The resources are changed only by transactions that compare the serial
// key with the value they read: a write validated against the whole
// snapshot is stored only if no other write came in between, so that two
// writes each valid alone (a route added on a policy, the policy deleted)
// cannot together store an invalid snapshot. A transaction that loses the
// race is retried, up to maxAttempts times.
const (
	serialKey   = "serial"
	maxAttempts = 16
)

// ErrUnavailable wraps the errors of a read or write that etcd did not
// answer.
var ErrUnavailable = errors.New("etcd is unavailable")

// Resources reads every resource from etcd, linearizably.
func (s *Store) Resources(ctx context.Context) (*config.Resources, error) {
	r, _, err := s.readAll(ctx)
	return r, err
}

// readAll reads the resources and the serial key's revision, linearizably
// unless opts say otherwise.
func (s *Store) readAll(ctx context.Context, opts ...clientv3.OpOption) (*config.Resources, int64, error) {
	cli, err := s.client()
	if err != nil {
		return nil, 0, err
	}
	rctx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := cli.Get(rctx, s.prefix, append(opts, clientv3.WithPrefix())...)
	if err != nil {
		return nil, 0, s.unavailable(err)
	}
	r := &config.Resources{
		Policies:  make(map[string]json.RawMessage),
		Upstreams: make(map[string]json.RawMessage),
		Routes:    make(map[string]json.RawMessage),
		Revision:  resp.Header.Revision,
		Versions:  make(map[string]int64),
	}
	var serial int64
	for _, kv := range resp.Kvs {
		if string(kv.Key) == s.prefix+serialKey {
			serial = kv.ModRevision
			continue
		}
		s.set(r, kv)
	}
	return r, serial, nil
}

func (s *Store) unavailable(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		// gRPC does not say why no member answered: say where to look.
		return fmt.Errorf("%w: no answer from %s within %v: are the members running, and the URLs right (http or https; --etcd-cacert for a CA of your own)?", ErrUnavailable, strings.Join(s.o.Endpoints, ","), s.o.RequestTimeout)
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// Change sets or deletes one resource, as config.ResourceStore documents.
// A deleted policy or upstream must not be used by a route (an
// *config.InUseError names them). The stored value is the canonical
// encoding of what was sent.
func (s *Store) Change(ctx context.Context, k config.Kind, id string, v json.RawMessage, ifMatch int64) (int64, error) {
	key := s.key(k, id)
	for attempt := range maxAttempts {
		// The first read is the member's own, without a round of
		// consensus: the transaction's comparisons refuse a change made
		// on a stale read, and the next attempt reads linearizably.
		var opts []clientv3.OpOption
		if attempt == 0 {
			opts = append(opts, clientv3.WithSerializable())
		}
		r, serial, err := s.readAll(ctx, opts...)
		if err != nil {
			return 0, err
		}
		vk := config.VersionKey(k, id)
		current := r.Versions[vk]
		if attempt == 0 && (ifMatch > 0 && current != ifMatch || v == nil && current == 0) {
			continue // maybe a stale read: read again before refusing
		}
		switch {
		case ifMatch > 0 && current != ifMatch:
			return 0, &config.ConflictError{Kind: k, ID: id, Version: current}
		case v == nil && current == 0:
			return 0, config.ErrNotFound
		}
		var op clientv3.Op
		if v == nil {
			if old, err := r.Config(s.o.Node); err == nil {
				if users := old.RoutesUsing(k, id); len(users) > 0 {
					return 0, &config.InUseError{Kind: k, ID: id, Routes: users}
				}
			}
			if _, err := s.build(r.With(k, id, nil)); err != nil {
				return 0, err
			}
			op = clientv3.OpDelete(key)
		} else {
			cfg, err := s.build(r.With(k, id, v))
			if err != nil {
				return 0, err
			}
			canonical := config.ResourcesOf(cfg).Of(k)[id]
			op = clientv3.OpPut(key, string(canonical))
		}
		cli, err := s.client()
		if err != nil {
			return 0, err
		}
		rctx, cancel := s.ctx(ctx)
		resp, err := cli.Txn(rctx).If(
			clientv3.Compare(clientv3.ModRevision(s.prefix+serialKey), "=", serial),
			clientv3.Compare(clientv3.ModRevision(key), "=", current),
		).Then(op, clientv3.OpPut(s.prefix+serialKey, "")).Commit()
		cancel()
		if err != nil {
			return 0, s.unavailable(err)
		}
		if resp.Succeeded {
			if v == nil {
				return 0, nil
			}
			return resp.Header.Revision, nil
		}
	}
	return 0, fmt.Errorf("%w: the config changed %d times while this change was validated; try again", ErrUnavailable, maxAttempts)
}

// build returns the snapshot of r, validated and checked; errors name
// routes by id.
func (s *Store) build(r *config.Resources) (*config.Config, error) {
	cfg, err := r.Config(s.o.Node)
	if err != nil {
		return nil, err
	}
	if s.o.Check != nil {
		if err := s.o.Check(cfg); err != nil {
			var es config.Errors
			if errors.As(err, &es) {
				for _, e := range es {
					e.Path = cfg.RoutePath(e.Path)
					e.Line, e.Col = 0, 0
				}
			}
			return nil, err
		}
	}
	return cfg, nil
}

// Nodes returns the status of every node that reports one.
func (s *Store) Nodes(ctx context.Context) ([]json.RawMessage, error) {
	cli, err := s.client()
	if err != nil {
		return nil, err
	}
	rctx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := cli.Get(rctx, s.prefix+"nodes/", clientv3.WithPrefix())
	if err != nil {
		return nil, s.unavailable(err)
	}
	out := make([]json.RawMessage, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if json.Valid(kv.Value) {
			out = append(out, kv.Value)
		}
	}
	return out, nil
}

// Diff is what Replace changed: the keys of resources, "policies/web",
// and "defaults".
type Diff struct {
	Added, Changed, Deleted []string
	Unchanged               int
	// Revision is etcd's revision after the change; 0 when nothing
	// changed.
	Revision int64
}

// Replace makes the resources in etcd those of c, in one transaction, and
// returns what changed. c is validated first (and checked when the Store
// has a Check). Resources are compared by their canonical encoding.
func (s *Store) Replace(ctx context.Context, c *config.Config) (Diff, error) {
	want := config.ResourcesOf(c)
	if _, err := s.build(want); err != nil {
		return Diff{}, err
	}
	for range maxAttempts {
		have, serial, err := s.readAll(ctx)
		if err != nil {
			return Diff{}, err
		}
		var d Diff
		var ops []clientv3.Op
		for _, k := range config.Kinds {
			for _, id := range slices.Sorted(maps.Keys(want.Of(k))) {
				v, old := want.Of(k)[id], have.Of(k)[id]
				switch {
				case old == nil:
					d.Added = append(d.Added, config.VersionKey(k, id))
				case string(old) != string(v):
					d.Changed = append(d.Changed, config.VersionKey(k, id))
				default:
					d.Unchanged++
					continue
				}
				ops = append(ops, clientv3.OpPut(s.key(k, id), string(v)))
			}
			for _, id := range slices.Sorted(maps.Keys(have.Of(k))) {
				if _, ok := want.Of(k)[id]; !ok {
					d.Deleted = append(d.Deleted, config.VersionKey(k, id))
					ops = append(ops, clientv3.OpDelete(s.key(k, id)))
				}
			}
		}
		switch {
		case want.Defaults == nil && have.Defaults != nil:
			d.Deleted = append(d.Deleted, "defaults")
			ops = append(ops, clientv3.OpDelete(s.key("", "")))
		case want.Defaults != nil && have.Defaults == nil:
			d.Added = append(d.Added, "defaults")
			ops = append(ops, clientv3.OpPut(s.key("", ""), string(want.Defaults)))
		case want.Defaults != nil && string(want.Defaults) != string(have.Defaults):
			d.Changed = append(d.Changed, "defaults")
			ops = append(ops, clientv3.OpPut(s.key("", ""), string(want.Defaults)))
		case want.Defaults != nil:
			d.Unchanged++
		}
		if len(ops) == 0 {
			return d, nil
		}
		if len(ops)+1 > maxTxnOps {
			return Diff{}, fmt.Errorf("etcd: the push changes %d resources, more than the %d operations etcd takes in one transaction (its --max-txn-ops); raise that limit on every member", len(ops), maxTxnOps-1)
		}
		ops = append(ops, clientv3.OpPut(s.prefix+serialKey, ""))
		cli, err := s.client()
		if err != nil {
			return Diff{}, err
		}
		rctx, cancel := s.ctx(ctx)
		resp, err := cli.Txn(rctx).If(clientv3.Compare(clientv3.ModRevision(s.prefix+serialKey), "=", serial)).Then(ops...).Commit()
		cancel()
		if err != nil {
			return Diff{}, s.unavailable(err)
		}
		if resp.Succeeded {
			d.Revision = resp.Header.Revision
			return d, nil
		}
	}
	return Diff{}, fmt.Errorf("%w: the config changed %d times during the push; try again", ErrUnavailable, maxAttempts)
}

// maxTxnOps is etcd's default limit of operations in one transaction.
const maxTxnOps = 128

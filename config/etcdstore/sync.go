package etcdstore

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/crossgate/crossgate/config"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Resync reasons, as the metrics label them.
const (
	resyncStart     = "start"
	resyncCompacted = "compacted"
	resyncLost      = "watch-lost"
)

// sync keeps the snapshot current until ctx is done: a full read, then a
// watch from the revision after it, and a full read again whenever the
// watch cannot resume (its revision was compacted, etcd was restored, the
// member lost its leader). Failed reads are retried with backoff.
func (s *Store) sync(ctx context.Context) {
	var b backoff
	reason := resyncStart
	for ctx.Err() == nil {
		r, _, err := s.readAll(ctx)
		if err != nil {
			s.metrics.up.Set(0)
			s.log.Warn("etcd is unreachable; retrying", "error", err.Error())
			b.wait(ctx)
			continue
		}
		b = backoff{}
		s.metrics.up.Set(1)
		s.metrics.resyncs.WithLabelValues(reason).Inc()
		s.apply(r, r.Revision)
		var why error
		reason, why = s.watch(ctx, r)
		if ctx.Err() == nil {
			s.metrics.watchRestarts.Inc()
			s.log.Warn("the etcd watch ended; reading the whole config again", "reason", reason, "error", errString(why))
			b.wait(ctx)
		}
	}
}

// set records kv in r, whose maps are made, when it is a resource; it
// reports whether it was.
func (s *Store) set(r *config.Resources, kv *mvccpb.KeyValue) bool {
	k, id, ok := s.parseKey(string(kv.Key))
	if !ok {
		return false
	}
	v := json.RawMessage(kv.Value)
	if k == "" {
		r.Defaults = v
	} else {
		r.Of(k)[id] = v
	}
	r.Versions[config.VersionKey(k, id)] = kv.ModRevision
	return true
}

// parseKey returns the kind and id of a resource key; the kind is empty
// for the defaults. ok is false for every other key.
func (s *Store) parseKey(key string) (k config.Kind, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, s.prefix)
	if !ok {
		return "", "", false
	}
	if rest == "defaults" {
		return "", "", true
	}
	kind, id, ok := strings.Cut(rest, "/")
	for _, k := range config.Kinds {
		if ok && kind == string(k) && id != "" && !strings.Contains(id, "/") {
			return k, id, true
		}
	}
	return "", "", false
}

func (s *Store) key(k config.Kind, id string) string {
	if k == "" {
		return s.prefix + "defaults"
	}
	return s.prefix + string(k) + "/" + id
}

// watch applies every change after r's revision until the watch ends,
// and returns why it ended.
func (s *Store) watch(ctx context.Context, r *config.Resources) (reason string, err error) {
	// A member cut off from its cluster's leader would otherwise keep a
	// watch open that never reports anything again.
	cli, err := s.client()
	if err != nil {
		return resyncLost, err
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range cli.Watch(wctx, s.prefix, clientv3.WithPrefix(), clientv3.WithRev(r.Revision+1)) {
		if resp.CompactRevision != 0 {
			return resyncCompacted, resp.Err()
		}
		if err := resp.Err(); err != nil {
			return resyncLost, err
		}
		s.metrics.up.Set(1)
		changed := false
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete {
				if k, id, ok := s.parseKey(string(ev.Kv.Key)); ok {
					if k == "" {
						r.Defaults = nil
					} else {
						delete(r.Of(k), id)
					}
					delete(r.Versions, config.VersionKey(k, id))
					changed = true
				}
				continue
			}
			changed = s.set(r, ev.Kv) || changed
		}
		r.Revision = resp.Header.Revision
		if changed {
			s.apply(r, r.Revision)
		}
	}
	return resyncLost, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// backoff waits between retries: exponentially longer, up to a maximum,
// each wait drawn at random between its half and its whole so that the
// nodes of a cluster do not all retry at once.
type backoff struct{ n int }

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

func (b *backoff) next() time.Duration {
	d := backoffMin << min(b.n, 10)
	if d > backoffMax {
		d = backoffMax
	}
	b.n++
	return d/2 + rand.N(d/2+1)
}

func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

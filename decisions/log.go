// Package decisions is the gateway's CORS decisions as the console shows
// them: a Log of the decisions the gateway made, recorded on the request
// path in bounded memory, and Explain, the browser's verdict on a request
// the gateway has not seen, made from the gateway's own answer to it.
//
// Both reuse what already says why: the decision and its reason come from
// cors.Policy.Decide, the browser's message, cause and fix from package
// browser. Nothing here decides anything of its own.
package decisions

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// Bounds of a Log. A Log takes about RingSize*700 bytes for its ring and at
// most MaxGroups groups of at most a few hundred bytes each, whatever the
// traffic.
const (
	// RingSize is how many recent decisions a Log keeps.
	RingSize = 256
	// MaxGroups caps the groups. Once reached, decisions that would open
	// a new group are counted in Batch.Overflow, and groups idle for
	// IdleGroup are dropped at most once a minute to make room.
	MaxGroups = 500
	// IdleGroup is how long a group must go unseen before it may be
	// dropped to make room for new ones.
	IdleGroup = 10 * time.Minute
	// RateSeconds is how many seconds of per-second counts a Log keeps.
	RateSeconds = 300
	// MaxField is how many bytes of an origin, a path or a header list a
	// Log keeps; longer values are cut (Entry.Cut).
	MaxField = 128
)

// text is a value copied into fixed storage, so that recording neither
// allocates nor keeps the request's memory alive.
type text struct {
	n   uint8
	cut bool
	b   [MaxField]byte
}

func (t *text) set(s string) {
	t.cut = len(s) > MaxField
	if t.cut {
		s = s[:MaxField]
	}
	t.n = uint8(copy(t.b[:], s))
}

func (t *text) String() string { return string(t.b[:t.n]) }

// entry is one recorded decision.
type entry struct {
	seq     uint64
	at      int64 // Unix nanoseconds
	route   string
	kind    cors.Kind
	reason  cors.Reason
	allowed bool
	method  text // the request's, or the one a preflight asks for
	origin  text
	path    text
	host    text
	headers text // a preflight's Access-Control-Request-Headers
	detail  text
}

// groupKey identifies a group: what was decided, for whom, where.
type groupKey struct {
	route, origin, detail string
	reason                cors.Reason
}

type group struct {
	id          uint64
	key         groupKey
	allowed     bool
	count       uint64
	first, last int64
	lastSeq     uint64 // the seq of the group's newest decision
	sample      uint64 // the seq of the decision that opened the group
	sampleReq   Request
	sampleKind  cors.Kind
}

type rate struct {
	sec              int64
	allowed, refused uint64
}

// Log records CORS decisions: the last RingSize in a ring, groups of them
// by route, origin, reason and what was refused (capped at MaxGroups) with
// counts, and per-second counts of allowed and refused decisions. Record
// never allocates once a decision's group exists; all methods are safe for
// concurrent use. The zero Log is ready to use.
type Log struct {
	mu        sync.Mutex
	seq       uint64
	ring      [RingSize]entry
	groups    map[groupKey]*group
	nextGroup uint64
	overflow  uint64
	lastSweep int64
	rates     [RateSeconds]rate
}

// Record adds the decision d, made at time at on route for r. Requests
// without an Origin (cors.NotCORS) are not recorded: there was nothing to
// decide.
func (l *Log) Record(at time.Time, route string, r *http.Request, d *cors.Decision) {
	if d.Kind == cors.NotCORS {
		return
	}
	origin := r.Header["Origin"]
	o := ""
	if len(origin) > 0 {
		o = origin[0]
	}
	method := r.Method
	var acrh string
	if d.Kind == cors.Preflight {
		if v := r.Header["Access-Control-Request-Method"]; len(v) > 0 {
			method = v[0]
		}
		if v := r.Header["Access-Control-Request-Headers"]; len(v) > 0 {
			acrh = v[0]
		}
	}
	ns := at.UnixNano()

	l.mu.Lock()
	l.seq++
	e := &l.ring[l.seq%RingSize]
	e.seq, e.at, e.route = l.seq, ns, route
	e.kind, e.reason, e.allowed = d.Kind, d.Reason, d.Allowed
	e.method.set(method)
	e.origin.set(o)
	e.path.set(r.URL.Path)
	e.host.set(r.Host)
	e.headers.set(acrh)
	e.detail.set(d.Detail)

	sec := ns / int64(time.Second)
	rt := &l.rates[sec%RateSeconds]
	if rt.sec != sec {
		*rt = rate{sec: sec}
	}
	if d.Allowed {
		rt.allowed++
	} else {
		rt.refused++
	}

	key := groupKey{route: route, origin: e.origin.view(o), detail: e.detail.view(d.Detail), reason: d.Reason}
	if g := l.groups[key]; g != nil {
		g.count++
		g.last, g.lastSeq = ns, l.seq
	} else {
		l.open(key, e)
	}
	l.mu.Unlock()
}

// view returns s as t keeps it: s itself, or its first MaxField bytes.
func (t *text) view(s string) string {
	if t.cut {
		return s[:MaxField]
	}
	return s
}

// open starts a group for e, whose key is key; it makes room, or counts e
// as overflow, when MaxGroups are open.
func (l *Log) open(key groupKey, e *entry) {
	if l.groups == nil {
		l.groups = make(map[groupKey]*group)
	}
	if len(l.groups) >= MaxGroups {
		if e.at-l.lastSweep >= int64(time.Minute) {
			l.lastSweep = e.at
			for k, g := range l.groups {
				if e.at-g.last >= int64(IdleGroup) {
					delete(l.groups, k)
				}
			}
		}
		if len(l.groups) >= MaxGroups {
			l.overflow++
			return
		}
	}
	// The key's strings are views of the request's; the group keeps
	// copies of its own.
	key.origin, key.detail = e.origin.String(), e.detail.String()
	l.nextGroup++
	l.groups[key] = &group{
		id: l.nextGroup, key: key, allowed: e.allowed, count: 1, first: e.at, last: e.at, lastSeq: e.seq,
		sample: e.seq, sampleKind: e.kind, sampleReq: e.request(),
	}
}

// request returns the request e records, as Explain takes it.
func (e *entry) request() Request {
	r := Request{Origin: e.origin.String(), Method: e.method.String(), Path: e.path.String(), Host: e.host.String()}
	if e.kind == cors.Preflight {
		// The preflight named the headers; the page set them to values
		// the gateway never saw. Any value that is not CORS-safelisted
		// gives the same verdict, and "(unknown)" is safelisted for none.
		for _, name := range splitList(e.headers.String()) {
			r.Headers = append(r.Headers, Header{Name: name, Value: "(unknown)"})
		}
	}
	return r
}

// Entry is one recorded decision, as Batch lists it.
type Entry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Route   string    `json:"route"`
	Kind    string    `json:"kind"`
	Allowed bool      `json:"allowed"`
	Reason  string    `json:"reason"`
	// Detail names what was refused: a method or a header name.
	Detail string `json:"detail,omitempty"`
	Method string `json:"method"`
	Origin string `json:"origin"`
	Host   string `json:"host"`
	Path   string `json:"path"`
	// Headers is a preflight's Access-Control-Request-Headers.
	Headers string `json:"headers,omitempty"`
	// Cut reports that the origin, the path or the headers were longer
	// than MaxField bytes and are cut.
	Cut bool `json:"cut,omitempty"`
}

// Group is the decisions of one route on one origin with one reason (and
// for a refused method or header, the same one).
type Group struct {
	ID      uint64    `json:"id"`
	Route   string    `json:"route"`
	Origin  string    `json:"origin"`
	Reason  string    `json:"reason"`
	Detail  string    `json:"detail,omitempty"`
	Allowed bool      `json:"allowed"`
	Count   uint64    `json:"count"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	// Kind is the kind of the decision that opened the group, and Sample
	// the request it was made on: Explain tells what the browser made of it.
	Kind   string  `json:"kind"`
	Sample Request `json:"sample"`
}

// Rate is the number of decisions in one second.
type Rate struct {
	Time    int64  `json:"t"` // Unix seconds
	Allowed uint64 `json:"allowed"`
	Refused uint64 `json:"refused"`
}

// Batch is what a Log holds, as Read returns it.
type Batch struct {
	// Seq is the number of decisions recorded so far: pass it to the next
	// Read to get only newer entries.
	Seq uint64 `json:"seq"`
	// Entries are the recorded decisions newer than Read's after, oldest
	// first; at most Read's max.
	Entries []Entry `json:"entries"`
	// Groups are the groups with a decision newer than Read's after (all
	// of them for after 0), the most recently seen first.
	Groups []Group `json:"groups"`
	// Overflow counts the decisions that found MaxGroups groups open and
	// none of their own.
	Overflow uint64 `json:"overflow"`
	// Rates are the counts of the last RateSeconds seconds, one per
	// second, oldest first, ending with the current second.
	Rates []Rate `json:"rates"`
}

// Read returns the newest entries recorded after seq after, at most max of
// them (RingSize when max is 0 or more), the groups that changed after it
// and the per-second counts up to now.
func (l *Log) Read(after uint64, max int, now time.Time) Batch {
	if max <= 0 || max > RingSize {
		max = RingSize
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := Batch{Seq: l.seq, Overflow: l.overflow}
	first := after + 1
	if l.seq >= uint64(max) && first <= l.seq-uint64(max) {
		first = l.seq - uint64(max) + 1
	}
	for s := first; s <= l.seq; s++ {
		e := &l.ring[s%RingSize]
		b.Entries = append(b.Entries, Entry{
			Seq: e.seq, Time: time.Unix(0, e.at), Route: e.route, Kind: e.kind.String(),
			Allowed: e.allowed, Reason: e.reason.String(), Detail: e.detail.String(),
			Method: e.method.String(), Origin: e.origin.String(), Host: e.host.String(),
			Path: e.path.String(), Headers: e.headers.String(),
			Cut: e.origin.cut || e.path.cut || e.headers.cut,
		})
	}
	b.Groups = make([]Group, 0, len(l.groups))
	for _, g := range l.groups {
		if g.lastSeq <= after {
			continue
		}
		b.Groups = append(b.Groups, Group{
			ID: g.id, Route: g.key.route, Origin: g.key.origin, Reason: g.key.reason.String(),
			Detail: g.key.detail, Allowed: g.allowed, Count: g.count,
			First: time.Unix(0, g.first), Last: time.Unix(0, g.last),
			Kind: g.sampleKind.String(), Sample: g.sampleReq,
		})
	}
	slices.SortFunc(b.Groups, func(x, y Group) int {
		if c := y.Last.Compare(x.Last); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	sec := now.Unix()
	b.Rates = make([]Rate, RateSeconds)
	for i := range b.Rates {
		s := sec - RateSeconds + 1 + int64(i)
		b.Rates[i].Time = s
		if rt := &l.rates[((s%RateSeconds)+RateSeconds)%RateSeconds]; rt.sec == s {
			b.Rates[i].Allowed, b.Rates[i].Refused = rt.allowed, rt.refused
		}
	}
	return b
}

package cors

import "sync"

// slabSize is the number of header values in one slab. A request takes at
// most a dozen, so one allocation serves hundreds of requests.
const slabSize = 4096

// slabPool hands out fresh []string storage for header values. Each slot is
// given out once and never reused, so a handler that changes a header value
// in place cannot affect another request; the slab is freed by the garbage
// collector once no response refers to it. Getting slots costs no
// allocation except once per slab: this is how Apply writes headers without
// allocating per request and without sharing slices between requests.
type slabPool struct {
	pool sync.Pool // of *slab
}

type slab struct {
	free []string
}

// take returns n fresh slots. A nil pool (a zero Decision) allocates.
func (p *slabPool) take(n int) []string {
	if p == nil || n > slabSize/8 {
		return make([]string, n)
	}
	s, _ := p.pool.Get().(*slab)
	if s == nil || len(s.free) < n {
		s = &slab{free: make([]string, slabSize)}
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	p.pool.Put(s)
	return out
}

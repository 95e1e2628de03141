// Package integrity checks that the gateway gives every request its own
// answer: clients send requests with unique ids through a gateway on
// loopback to upstreams that echo the id in a header and in the body,
// well-behaved ones mixed with the misbehaviours that poison keep-alive
// pools (stray bytes after a body, at once and later; bodies on HEAD, 204
// and 304 answers; two Content-Lengths; garbage between responses; early
// closes; resets; slow bodies), while the gateway's config is swapped and
// clients leave in the middle of answers. An answer that holds another
// request's id is a crossed answer: the one thing that must never happen.
//
// cmd/integrity runs it from the command line; its test runs it for 30 s.
package integrity

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/h1"
)

// Options say how long to run and how hard.
type Options struct {
	Clients  int           // concurrent clients; 64 when 0
	Requests int64         // stop after this many requests; 0: no limit
	Duration time.Duration // stop after this long; 0: no limit
	// ReloadEvery is how often the gateway's config is swapped; 0: never.
	ReloadEvery time.Duration
	// LeaveOneIn makes one slow-body request in LeaveOneIn leave after the
	// first bytes of its answer; 0: none leave.
	LeaveOneIn int
	// Progress, when set, receives a line with the requests sent so far
	// every 10 s.
	Progress io.Writer
}

// Counts are the outcomes of one kind of request.
type Counts struct {
	Requests int64
	Own      int64 // the request's own answer
	Crossed  int64 // an answer holding another request's id
	// RacedStrays are stray responses an upstream wrote, unasked, once a
	// connection had been silent for a while, that reached the request
	// written to the connection at that moment. To any HTTP/1.1 client
	// (net/http's Transport and nginx as much as the gateway) they are
	// that request's answer: they arrive after it was written, and
	// nothing in the stream tells them apart. They are counted apart
	// from crossed answers, which no client should ever deliver.
	RacedStrays int64
	Failed      int64 // an error (502, 504, a body cut short) and no other id
	Left        int64 // the client left in the middle of the answer
}

// Report is the outcome of a run.
type Report struct {
	Elapsed     time.Duration
	Reloads     int64
	Total       Counts
	ByBehaviour map[string]*Counts
	// Crossings describes the first crossed answers (at most 10).
	Crossings []string
}

// String formats r as a table, one behaviour a line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %v (%.0f/s), %d config swaps: %d own answers, %d crossed, %d raced late strays, %d failed, %d left mid-answer\n",
		r.Total.Requests, r.Elapsed.Round(time.Millisecond), float64(r.Total.Requests)/r.Elapsed.Seconds(), r.Reloads,
		r.Total.Own, r.Total.Crossed, r.Total.RacedStrays, r.Total.Failed, r.Total.Left)
	fmt.Fprintf(&b, "%-26s %10s %10s %8s %8s %8s %8s\n", "behaviour", "requests", "own", "crossed", "raced", "failed", "left")
	for _, name := range slices.Sorted(maps.Keys(r.ByBehaviour)) {
		c := r.ByBehaviour[name]
		fmt.Fprintf(&b, "%-26s %10d %10d %8d %8d %8d %8d\n", name, c.Requests, c.Own, c.Crossed, c.RacedStrays, c.Failed, c.Left)
	}
	for _, c := range r.Crossings {
		fmt.Fprintf(&b, "crossed: %s\n", c)
	}
	return b.String()
}

// kind is one kind of request a client sends: a behaviour on a route.
type kind struct {
	name   string // route/behaviour
	route  string // path prefix
	b      *Behaviour
	weight int
}

// Run starts the upstreams and a gateway on loopback, runs the clients
// until a limit of o or ctx ends, and reports what they got.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Clients == 0 {
		o.Clients = 64
	}
	var ups [3]*upstream
	for i := range ups {
		u, err := startUpstream()
		if err != nil {
			return nil, err
		}
		defer u.close()
		ups[i] = u
	}
	cfgs := make([]*config.Config, 2)
	for i := range cfgs {
		// Two configs that differ in the upstream timeout: each swap
		// builds new upstream clients and pools.
		yaml := fmt.Sprintf(`listen: 127.0.0.1:0
policies:
  web: {allow_origins: [https://app.example.com], allow_methods: [GET, HEAD, POST]}
upstreams:
  mixed: {targets: [http://%s, http://%s], timeout: %ds}
  calm: {targets: [http://%s], timeout: %ds}
routes:
  - {id: mixed, path_prefix: /m/, upstream: mixed, cors: web}
  - {id: calm, path_prefix: /c/, upstream: calm, cors: web}
`, ups[0].addr(), ups[1].addr(), 10+i, ups[2].addr(), 10+i)
		cfg, err := config.Parse("integrity.yaml", []byte(yaml))
		if err != nil {
			return nil, err
		}
		cfgs[i] = cfg
	}
	gw, err := gateway.New(cfgs[0], gateway.Options{})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := h1.NewServer(&http.Server{
		Handler:           gw,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}, nil)
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	kinds := []kind{{name: "calm/ok", route: "/c/", b: behaviour("ok"), weight: 10}}
	for i := range Behaviours {
		b := &Behaviours[i]
		w := 4
		switch b.Name {
		case "ok":
			w = 30
		case "post", "big":
			w = 8
		}
		kinds = append(kinds, kind{name: "mixed/" + b.Name, route: "/m/", b: b, weight: w})
	}
	var total int
	for _, k := range kinds {
		total += k.weight
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, o.Duration)
		defer cancel()
	}
	r := &Report{ByBehaviour: make(map[string]*Counts)}
	counts := make([]Counts, len(kinds))
	var mu sync.Mutex // guards counts and r.Crossings
	var sent atomic.Int64
	var salt [4]byte
	crand.Read(salt[:])
	prefix := binary.BigEndian.Uint32(salt[:])

	var wg sync.WaitGroup
	if o.ReloadEvery > 0 {
		wg.Go(func() {
			t := time.NewTicker(o.ReloadEvery)
			defer t.Stop()
			for i := 1; ; i++ {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
				if err := gw.Swap(cfgs[i%2]); err == nil {
					atomic.AddInt64(&r.Reloads, 1)
				}
			}
		})
	}
	if o.Progress != nil {
		wg.Go(func() {
			t := time.NewTicker(10 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					fmt.Fprintf(o.Progress, "%d requests sent\n", sent.Load())
				}
			}
		})
	}
	base := "http://" + ln.Addr().String()
	start := time.Now()
	var clients sync.WaitGroup
	for c := range o.Clients {
		clients.Go(func() {
			tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4, ResponseHeaderTimeout: 30 * time.Second}
			defer tr.CloseIdleConnections()
			rng := rand.New(rand.NewPCG(uint64(prefix), uint64(c)))
			for runCtx.Err() == nil {
				n := sent.Add(1)
				if o.Requests > 0 && n > o.Requests {
					// The others finish the requests they have sent.
					return
				}
				pick := rng.IntN(total)
				ki := 0
				for pick >= kinds[ki].weight {
					pick -= kinds[ki].weight
					ki++
				}
				k := kinds[ki]
				id := fmt.Sprintf("%08x%08x", prefix, uint32(n))
				leave := k.b.Name == "slow-body" && o.LeaveOneIn > 0 && rng.IntN(o.LeaveOneIn) == 0
				out, detail := exchange(runCtx, tr, base+k.route+k.b.Name, k.b, id, leave)
				if out == outStopped {
					return
				}
				mu.Lock()
				cnt := &counts[ki]
				cnt.Requests++
				switch out {
				case outOwn:
					cnt.Own++
				case outCrossed:
					cnt.Crossed++
					if len(r.Crossings) < 10 {
						r.Crossings = append(r.Crossings, fmt.Sprintf("%s %s id %s: %s", k.b.Method, k.name, id, detail))
					}
				case outRacedStray:
					cnt.RacedStrays++
				case outFailed:
					cnt.Failed++
				case outLeft:
					cnt.Left++
				}
				mu.Unlock()
			}
		})
	}
	clients.Wait()
	stop()
	wg.Wait()
	r.Elapsed = time.Since(start)
	for i, k := range kinds {
		c := counts[i]
		r.ByBehaviour[k.name] = &c
		r.Total.Requests += c.Requests
		r.Total.Own += c.Own
		r.Total.Crossed += c.Crossed
		r.Total.RacedStrays += c.RacedStrays
		r.Total.Failed += c.Failed
		r.Total.Left += c.Left
	}
	return r, nil
}

type outcome int

const (
	outOwn outcome = iota
	outCrossed
	outRacedStray
	outFailed
	outLeft
	outStopped // the run ended during the request
)

// exchange sends one request and judges its answer.
func exchange(ctx context.Context, rt http.RoundTripper, url string, b *Behaviour, id string, leave bool) (outcome, string) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var body io.Reader
	if b.Method == "POST" {
		body = strings.NewReader("payload of " + id)
	}
	req, err := http.NewRequestWithContext(rctx, b.Method, url, body)
	if err != nil {
		return outFailed, err.Error()
	}
	req.Header.Set("X-Request-Id", id)
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return outStopped, ""
		}
		return outFailed, err.Error()
	}
	defer resp.Body.Close()
	if leave {
		// Take the first bytes of the answer, then go away.
		buf := make([]byte, 8)
		io.ReadFull(resp.Body, buf)
		cancel()
		return outLeft, ""
	}
	got, err := io.ReadAll(resp.Body)
	if ctx.Err() != nil {
		return outStopped, ""
	}
	if resp.Header.Get("X-Stray") == "late" {
		return outRacedStray, ""
	}
	// Every id the answer holds, in its header and its body.
	var seen []string
	seen = append(seen, resp.Header.Values("X-Echo-Id")...)
	for rest := string(got); ; {
		i := strings.Index(rest, "id=")
		if i < 0 {
			break
		}
		rest = rest[i+3:]
		seen = append(seen, rest[:min(16, len(rest))])
	}
	for _, s := range seen {
		if s != id {
			return outCrossed, fmt.Sprintf("status %d, X-Echo-Id %q, body %.60q", resp.StatusCode, resp.Header.Values("X-Echo-Id"), got)
		}
	}
	if resp.Header.Get("X-Stray") != "" {
		return outCrossed, fmt.Sprintf("a stray response: status %d, body %.60q", resp.StatusCode, got)
	}
	own := err == nil && resp.Header.Get("X-Echo-Id") == id
	switch {
	case !own:
	case resp.StatusCode == http.StatusOK && b.Method != "HEAD":
		own = strings.HasPrefix(string(got), "id="+id)
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusNotModified:
	default:
		own = false
	}
	if !own {
		detail := fmt.Sprintf("status %d", resp.StatusCode)
		if err != nil {
			detail += ", body: " + err.Error()
		}
		return outFailed, detail
	}
	return outOwn, ""
}

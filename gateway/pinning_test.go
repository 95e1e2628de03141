package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

// streamWriter is the ResponseWriter of a response that stays open: it
// says when the first bytes of the body arrive.
type streamWriter struct {
	h       http.Header
	started chan struct{}
	once    sync.Once
}

func (w *streamWriter) Header() http.Header { return w.h }
func (w *streamWriter) WriteHeader(int)     {}
func (w *streamWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	return len(p), nil
}
func (w *streamWriter) Flush() {}

// nullWriter is the ResponseWriter of a short answer nobody reads.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(int)             {}
func (w *nullWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestOpenStreamsDoNotPinCORSValues checks that an event stream open for
// long keeps alive only its own header values: the CORS values the gateway
// writes come from slabs shared between responses, and open streams
// started far apart would otherwise keep one slab each alive.
func TestOpenStreamsDoNotPinCORSValues(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: hello\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the gateway closes the stream
	})
	const yaml = `
policies:
  web: {allow_origins: [https://app.example.com], allow_methods: [PUT], allow_headers: [Content-Type], allow_credentials: true}
upstreams:
  api: {targets: [%s]}
routes:
  - {id: events, path_prefix: /, upstream: api, cors: web}
`
	const streams = 64
	// heapWith opens the streams, each after spread preflights answered
	// at the edge, and returns the live heap while they are all open; then
	// it closes them.
	heapWith := func(spread int) uint64 {
		// The upstream keeps a copy of every request: start each count
		// with none.
		up.mu.Lock()
		up.requests = nil
		up.mu.Unlock()
		// A gateway of its own, not started (startGateway's server would
		// keep it alive into the next count).
		cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(yaml, up.URL)))
		if err != nil {
			t.Fatal(err)
		}
		gw, err := gateway.New(cfg, gateway.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		preflight, _ := http.NewRequest(http.MethodOptions, "http://gw.test/events", nil)
		preflight.Header.Set("Origin", "https://app.example.com")
		preflight.Header.Set("Access-Control-Request-Method", "PUT")
		for range streams {
			for range spread {
				gw.ServeHTTP(&nullWriter{h: http.Header{}}, preflight)
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://gw.test/events", nil)
			req.Header.Set("Origin", "https://app.example.com")
			w := &streamWriter{h: http.Header{}, started: make(chan struct{})}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					// A stream cut short aborts its handler, as a server
					// expects.
					if v := recover(); v != nil && v != http.ErrAbortHandler {
						panic(v)
					}
				}()
				gw.ServeHTTP(w, req)
			}()
			<-w.started
		}
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	together := heapWith(0)
	// 100 preflights use more than a slab's 255 values: every stream then
	// gets its values from a slab of its own.
	apart := heapWith(100)
	t.Logf("apart - together = %d B", int64(apart)-int64(together))
	const limit = streams * 1 << 10
	if apart > together+limit {
		t.Errorf("%d open streams started far apart hold %d KiB more than started together, want under %d KiB: each keeps a CORS slab alive",
			streams, (apart-together)>>10, limit>>10)
	}
}

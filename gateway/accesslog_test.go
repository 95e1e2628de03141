package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

// TestAccessLogLines checks that every request writes one JSON line with
// the route, status, duration and CORS decision, whatever bytes the client
// put in the fields it echoes.
func TestAccessLogLines(t *testing.T) {
	up := newUpstream(t, nil)
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
policies: {web: {allow_origins: [https://app.example.com]}}
upstreams: {u: {targets: [%s]}}
routes:
  - {id: r, path_prefix: /, hosts: [example.com], upstream: u, cors: web}
  - {id: open, path_prefix: /open/, hosts: [example.com], upstream: u, cors: "off"}
`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	g, err := gateway.New(cfg, gateway.Options{AccessLog: logs})
	if err != nil {
		t.Fatal(err)
	}
	requests := []struct {
		origin string
		path   string
		want   map[string]any
	}{
		{"https://app.example.com", "/a", map[string]any{"route": "r", "status": 200.0, "cors": "allowed", "cors_reason": "allowed", "cors_kind": "actual", "path": "/a"}},
		{"https://evil.test", "/b", map[string]any{"cors": "refused", "cors_reason": "origin-not-allowed", "origin": "https://evil.test"}},
		// Nothing is refused to a request that is not a CORS request.
		{"", "/c", map[string]any{"cors": "none", "cors_kind": "none", "cors_reason": "no-origin"}},
		{"\"quoted\"\x01\xff\\é", "/d", map[string]any{"origin": "\"quoted\"\x01\ufffd\\é", "cors_reason": "origin-malformed"}},
		// Without a policy there is no decision to log.
		{"https://app.example.com", "/open/e", map[string]any{"route": "open", "cors": "off", "cors_kind": "", "cors_reason": ""}},
		{"https://app.example.com", "http://other.test/f", map[string]any{"route": "", "status": 404.0, "cors": "off", "cors_kind": "", "cors_reason": ""}},
	}
	for _, rq := range requests {
		r := httptest.NewRequest("GET", rq.path, nil) // host example.com unless the path names one
		if rq.origin != "" {
			r.Header["Origin"] = []string{rq.origin}
		}
		g.ServeHTTP(httptest.NewRecorder(), r)
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	i := 0
	for ; sc.Scan(); i++ {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, sc.Text())
		}
		if i >= len(requests) {
			continue
		}
		if line["msg"] != "request" || line["time"] == nil || line["duration"] == nil {
			t.Errorf("line %d lacks msg, time or duration: %s", i+1, sc.Text())
		}
		for k, v := range requests[i].want {
			if line[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i+1, k, line[k], v)
			}
		}
	}
	if i != len(requests) {
		t.Errorf("%d lines for %d requests", i, len(requests))
	}
}

package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// callLog turns the gateway's access log, one JSON line per request, into
// one line per call for a person watching the demo: when, what, from which
// origin, and the gateway's CORS decision with its reason. It reads the
// gateway's own record of the decision rather than deciding again.
type callLog struct {
	mu      sync.Mutex
	out     io.Writer
	partial []byte // a line not yet ended
}

// accessRecord is the part of an access-log line the demo shows.
type accessRecord struct {
	Time   time.Time `json:"time"`
	Route  string    `json:"route"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	Origin string    `json:"origin"`
	Kind   string    `json:"cors_kind"`
	Result string    `json:"cors"`
	Reason string    `json:"cors_reason"`
}

func (c *callLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.line(c.partial[:i])
		c.partial = c.partial[i+1:]
	}
	// Keep the memory of a line that never ends bounded.
	if len(c.partial) > 64<<10 {
		c.partial = c.partial[:0]
	}
	return len(p), nil
}

func (c *callLog) line(b []byte) {
	var r accessRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return
	}
	fmt.Fprintln(c.out, r.String())
}

// String is the record as the demo prints it, such as
//
//	10:42:07 OPTIONS /api/users/42 from http://localhost:8081: preflight refused (headers-not-allowed), 403, route api
func (r accessRecord) String() string {
	from := "without Origin"
	if r.Origin != "" {
		from = "from " + r.Origin
	}
	decision := "CORS off"
	switch r.Result {
	case "none":
		decision = "not a CORS request"
	case "allowed":
		decision = r.Kind + " allowed"
	case "refused":
		decision = fmt.Sprintf("%s refused (%s)", r.Kind, r.Reason)
	}
	route := "no route"
	if r.Route != "" {
		route = "route " + r.Route
	}
	return fmt.Sprintf("%s %s %s %s: %s, %d, %s", r.Time.Local().Format(time.TimeOnly), r.Method, r.Path, from, decision, r.Status, route)
}

package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/crossgate/crossgate/decisions"
)

// How the decisions stream is paced and bounded.
const (
	// eventInterval is how often the stream looks for new decisions: a
	// decision reaches the console within about this long.
	eventInterval = 250 * time.Millisecond
	// eventIdle is how often the stream sends when nothing was decided,
	// so that the chart moves on.
	eventIdle = time.Second
	// eventEntries bounds the decisions one event lists: the newest.
	eventEntries = 50
	// eventRates is how many seconds of counts each event after the
	// first carries; the first carries them all.
	eventRates = 5
	// streamLifetime ends a stream after a while; EventSource reconnects
	// by itself, with Last-Event-ID, and the server's state is renewed.
	streamLifetime = 10 * time.Minute
)

// verdict is the browser's verdict on a group's sample request, as the
// console shows it.
type verdict struct {
	Allowed bool   `json:"allowed"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Cause   string `json:"cause,omitempty"`
	Fix     string `json:"fix,omitempty"`
	Config  string `json:"config,omitempty"`
	Policy  string `json:"policy,omitempty"`
	Mode    string `json:"mode,omitempty"`
	Note    string `json:"note,omitempty"`
	// Gateway says what the gateway's policy refused, as its
	// Crossgate-Cors-Refusal header does.
	Gateway string `json:"gateway,omitempty"`
}

// eventGroup is a group as an event carries it the first time, with its
// verdict.
type eventGroup struct {
	decisions.Group
	Verdict *verdict `json:"verdict,omitempty"`
}

// groupUpdate is a group the stream has sent before, as later events
// carry it: only what changes.
type groupUpdate struct {
	ID    uint64    `json:"id"`
	Count uint64    `json:"count"`
	Last  time.Time `json:"last"`
}

// event is the data of one "decisions" event.
type event struct {
	Seq      uint64            `json:"seq"`
	Entries  []decisions.Entry `json:"entries"`
	Groups   []eventGroup      `json:"groups"`
	Updates  []groupUpdate     `json:"updates"`
	Overflow uint64            `json:"overflow"`
	Rates    []decisions.Rate  `json:"rates"`
}

// events streams the decisions as Server-Sent Events: one "decisions"
// event when anything was decided, at most every eventInterval, and at
// least every eventIdle. Each carries the newest decisions, the groups
// that changed (in full the first time, with the browser's verdict; as an
// update after) and the last seconds' counts. The stream keeps, per
// connection, the ids of the groups it sent: at most 2*MaxGroups.
func (c *console) events(w http.ResponseWriter, r *http.Request, _ *session) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var after uint64
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		after = id
	}
	sent := map[uint64]bool{} // the groups sent in full
	ctx, cancel := context.WithTimeout(r.Context(), streamLifetime)
	defer cancel()
	tick := time.NewTicker(eventInterval)
	defer tick.Stop()
	var last time.Time
	first := true
	for {
		now := time.Now()
		b := c.log.Read(after, eventEntries, now)
		if first || b.Seq != after || now.Sub(last) >= eventIdle {
			ev := c.event(ctx, b, sent, first)
			data, _ := json.Marshal(ev)
			if _, err := w.Write([]byte("id: " + strconv.FormatUint(b.Seq, 10) + "\nevent: decisions\ndata: ")); err != nil {
				return
			}
			_, _ = w.Write(data)
			if _, err := w.Write([]byte("\n\n")); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			after, last, first = b.Seq, now, false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// event builds the event for b, given the groups already sent.
func (c *console) event(ctx context.Context, b decisions.Batch, sent map[uint64]bool, first bool) event {
	ev := event{Seq: b.Seq, Entries: b.Entries, Overflow: b.Overflow, Rates: b.Rates, Groups: []eventGroup{}, Updates: []groupUpdate{}}
	if ev.Entries == nil {
		ev.Entries = []decisions.Entry{}
	}
	if !first && len(ev.Rates) > eventRates {
		ev.Rates = ev.Rates[len(ev.Rates)-eventRates:]
	}
	if len(sent) > 2*decisions.MaxGroups {
		// Groups were dropped to make room for others: forget them all,
		// and send again in full those that change.
		clear(sent)
	}
	for _, g := range b.Groups {
		if sent[g.ID] {
			ev.Updates = append(ev.Updates, groupUpdate{ID: g.ID, Count: g.Count, Last: g.Last})
			continue
		}
		sent[g.ID] = true
		ev.Groups = append(ev.Groups, eventGroup{Group: g, Verdict: c.verdict(ctx, g)})
	}
	return ev
}

// verdict explains a group's sample request with the config now served.
func (c *console) verdict(ctx context.Context, g decisions.Group) *verdict {
	scheme := "http"
	if cfg := c.snapshot(); cfg != nil && cfg.TLS != nil {
		scheme = "https"
	}
	res, err := decisions.Explain(ctx, c.answer, scheme, g.Sample)
	if err != nil {
		// A request no page can make, such as a malformed Origin from a
		// scanner: there is no browser verdict to show.
		return &verdict{Note: "no browser sends this request: " + err.Error()}
	}
	v := &verdict{Allowed: res.Browser.Allowed, Policy: res.Policy, Mode: res.Mode, Note: res.Note}
	if e := res.Browser.Error; e != nil {
		v.Code, v.Message, v.Cause, v.Fix, v.Config = string(e.Code), e.Message, e.Cause, e.Fix, e.Config
	}
	for _, st := range res.Steps {
		if !st.Allowed && st.Kind != "none" {
			who := "policy " + res.Policy
			if res.Policy == "" {
				who = "the route's own policy"
			}
			v.Gateway = who + " refused the " + st.Kind + ": " + st.Reason
			if st.Detail != "" {
				v.Gateway += ": " + st.Detail
			}
			break
		}
	}
	return v
}

package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/e2e"
)

func TestEval(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	t.Run("form submission, then the page again", func(t *testing.T) { evalNavigation(t, b) })
	t.Run("form into a cross-site frame", func(t *testing.T) { evalCrossSiteFrame(t, b) })
	t.Run("screenshot is a PNG", func(t *testing.T) {
		page, _, _ := origins(t)
		png, err := b.Screenshot(context.Background(), page.URL+"/")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
			t.Errorf("screenshot starts with %q, want the PNG signature", png[:min(8, len(png))])
		}
	})
	page, api, _ := origins(t)

	type xhr struct {
		Status    int    `json:"status"`
		RequestID string `json:"requestId"`
		Internal  string `json:"internal"`
	}
	tests := []struct {
		name        string
		js          string
		want        any // compared with fmt's %+v
		wantErr     string
		wantConsole string
	}{
		{
			name: "XHR reads an exposed header and not an unexposed one",
			js: fmt.Sprintf(`new Promise((resolve, reject) => {
				const x = new XMLHttpRequest();
				x.open("GET", %q);
				x.onload = () => resolve({status: x.status, requestId: x.getResponseHeader("X-Request-Id") || "", internal: x.getResponseHeader("X-Internal") || ""});
				x.onerror = () => reject(new Error("xhr failed"));
				x.send();
			})`, api.URL+"/cors"),
			want: &xhr{Status: 200, RequestID: "42"},
		},
		{
			name:    "thrown exception is an error",
			js:      `(() => { throw new Error("boom") })()`,
			wantErr: "boom",
		},
		{
			name:    "rejected promise is an error",
			js:      `Promise.reject(new Error("nope"))`,
			wantErr: "nope",
		},
		{
			name:        "console calls are captured",
			js:          `console.warn("careful", 42)`,
			wantConsole: "careful 42",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *xhr
			var result any
			if tt.want != nil {
				result = &got
			}
			trace, err := b.Eval(context.Background(), page.URL+"/", tt.js, result)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.want != nil && fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("result = %+v, want %+v", got, tt.want)
			}
			if tt.wantConsole != "" {
				found := false
				for _, m := range trace.Console {
					found = found || (m.Source == "console-api" && m.Text == tt.wantConsole)
				}
				if !found {
					t.Errorf("console = %+v, want a console-api message %q", trace.Console, tt.wantConsole)
				}
			}
		})
	}
}

// evalNavigation checks that a script that submits a form, and so leaves the
// page, leaves the next call to run on the page again, not on the form's
// response.
func evalNavigation(t *testing.T, b *e2e.Browser) {
	page, api, rec := origins(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	submit := fmt.Sprintf(`(() => {
		const f = document.createElement("form");
		f.method = "POST";
		f.action = %q;
		document.body.appendChild(f);
		f.submit();
	})()`, api.URL+"/no-cors")
	if _, err := b.Eval(ctx, page.URL+"/", submit, nil); err != nil {
		t.Fatal(err)
	}
	if err := rec.Wait(ctx, "POST", "/no-cors", 1); err != nil {
		t.Fatal(err)
	}
	if got := rec.Requests()[0].Header.Get("Origin"); got != page.Origin {
		t.Errorf("form POST carried Origin %q, want %q", got, page.Origin)
	}

	var href string
	if _, err := b.Eval(ctx, page.URL+"/", "location.href", &href); err != nil {
		t.Fatal(err)
	}
	if href != page.URL+"/" {
		t.Errorf("next call ran on %q, want the page %q", href, page.URL+"/")
	}
}

// evalCrossSiteFrame checks that the answer to a form posted into a frame of
// another site is recorded whole, although the frame then moves to a
// renderer process of its own whose DevTools target reports the end of the
// request: the trace has its status, and the call does not wait out the
// settle timeout for an end that never reaches the tab.
func evalCrossSiteFrame(t *testing.T, b *e2e.Browser) {
	page := e2e.NewServer("evil.test", http.HandlerFunc(e2e.ServePage))
	t.Cleanup(page.Close)
	api := e2e.NewServer("api.example.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refused", http.StatusForbidden)
	}))
	t.Cleanup(api.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	action := api.URL + "/transfer"
	submit := fmt.Sprintf(`(async () => {
		const frame = document.createElement("iframe");
		frame.name = "sink";
		document.body.appendChild(frame);
		const f = document.createElement("form");
		f.method = "POST";
		f.action = %q;
		f.target = "sink";
		document.body.appendChild(f);
		await new Promise(resolve => { frame.onload = resolve; f.submit(); });
	})()`, action)
	trace, err := b.Eval(ctx, page.URL+"/", submit, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range trace.Requests {
		if r.Method == "POST" && r.URL == action {
			if r.Status != http.StatusForbidden || !r.Done {
				t.Errorf("the form's request: status %d, done %v; want 403, done", r.Status, r.Done)
			}
			return
		}
	}
	t.Errorf("the trace has no POST %s: %+v", action, trace.Requests)
}

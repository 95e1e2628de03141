package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/e2e"
)

func TestRecorder(t *testing.T) {
	rec := e2e.NewRecorder(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	srv := e2e.NewServer("127.0.0.1", rec)
	defer srv.Close()

	sent := []struct{ method, path string }{
		{"OPTIONS", "/items"},
		{"PUT", "/items"},
		{"GET", "/items"},
		{"GET", "/other"},
	}
	for _, s := range sent {
		req, err := http.NewRequest(s.method, srv.URL+s.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "http://app.example.test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Fatalf("%s %s: status %d, want the wrapped handler's 418", s.method, s.path, resp.StatusCode)
		}
	}

	tests := []struct {
		name, method, path string
		want               int
	}{
		{"preflights of one path", "OPTIONS", "/items", 1},
		{"one method, one path", "GET", "/items", 1},
		{"one method, any path", "GET", "", 2},
		{"any method, one path", "", "/items", 3},
		{"everything", "", "", 4},
		{"nothing matches", "DELETE", "/items", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rec.Count(tt.method, tt.path); got != tt.want {
				t.Errorf("Count(%q, %q) = %d, want %d", tt.method, tt.path, got, tt.want)
			}
		})
	}

	reqs := rec.Requests()
	if len(reqs) != len(sent) {
		t.Fatalf("Requests() has %d entries, want %d", len(reqs), len(sent))
	}
	for i, s := range sent {
		if reqs[i].Method != s.method || reqs[i].Path != s.path || reqs[i].Header.Get("Origin") != "http://app.example.test" {
			t.Errorf("request %d = %s %s Origin %q, want %s %s with the sent Origin", i, reqs[i].Method, reqs[i].Path, reqs[i].Header.Get("Origin"), s.method, s.path)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rec.Wait(ctx, "GET", "/items", 1); err != nil {
		t.Errorf("Wait for a request already seen: %v", err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelShort()
	if err := rec.Wait(short, "DELETE", "/items", 1); err == nil || !strings.Contains(err.Error(), "saw 0 of 1 DELETE /items") {
		t.Errorf("Wait for a request never sent = %v, want an error that counts what was seen", err)
	}

	rec.Reset()
	if got := rec.Count("", ""); got != 0 {
		t.Errorf("Count after Reset = %d, want 0", got)
	}
}

package checkagree_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/e2e"
)

// TestRequestHeadersAgree has Chromium and browser.Client send the same
// requests to one recording server, and compares the CORS and Fetch
// Metadata headers of every request the server received from each: what
// crossgate check sends is what a server sees from a browser.
func TestRequestHeadersAgree(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{IgnoreCertificateErrors: true})
	compared := []string{"Origin", "Accept", "Content-Type", "Access-Control-Request-Method", "Access-Control-Request-Headers",
		"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest"}
	allowAll := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(acao, r.Header.Get("Origin"))
		w.Header().Set(acam, "PUT")
		w.Header().Set(acah, "Content-Type, X-Custom")
	})
	requests := []struct {
		method string
		header []string
	}{
		{"GET", nil},
		{"PUT", []string{"Content-Type", "application/json"}},
		{"POST", []string{"Content-Type", "text/plain", "X-Custom", "1"}},
	}
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	client := &browser.Client{Transport: tr}

	tests := []struct {
		name, pageHost, apiHost string
		tls                     bool
	}{
		// Fetch Metadata goes to potentially trustworthy URLs only.
		{"http", "app.example.test", "api.example.test", false},
		{"http to a loopback address", "app.example.test", "127.0.0.1", false},
		{"https, same site", "app.example.test", "api.example.test", true},
		{"https, cross-site", "app.example.test", "api.other.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := e2e.NewServer
			if tt.tls {
				start = e2e.NewTLSServer
			}
			page := start(tt.pageHost, http.HandlerFunc(e2e.ServePage))
			t.Cleanup(page.Close)
			rec := e2e.NewRecorder(allowAll)
			api := start(tt.apiHost, rec)
			t.Cleanup(api.Close)

			for i, rq := range requests {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				h := http.Header{}
				for j := 0; j+1 < len(rq.header); j += 2 {
					h.Add(rq.header[j], rq.header[j+1])
				}
				// Each side on a path of its own, so that neither reuses the
				// other's preflight.
				chromePath, checkPath := fmt.Sprintf("/chrome/%d", i), fmt.Sprintf("/check/%d", i)
				res, err := b.Fetch(ctx, page.URL+"/", e2e.FetchRequest{URL: api.URL + chromePath, Method: rq.method, Header: h})
				if err != nil {
					t.Fatal(err)
				}
				if res.Error != "" {
					t.Fatalf("%s %s: Chromium blocked it: %s", rq.method, chromePath, res.Error)
				}
				req, err := browser.NewRequest(api.URL+checkPath, page.Origin, rq.method, h, false)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := client.Do(ctx, req); err != nil {
					t.Fatal(err)
				}

				chrome, check := received(rec, chromePath, compared), received(rec, checkPath, compared)
				if chrome != check {
					t.Errorf("%s with %q: the server received\nfrom Chromium:\n%s\nfrom browser.Client:\n%s", rq.method, rq.header, chrome, check)
				}
			}
		})
	}
}

// received lists, in order, the requests rec saw for path with the values
// of names.
func received(rec *e2e.Recorder, path string, names []string) string {
	var b strings.Builder
	for _, r := range rec.Requests() {
		if r.Path != path {
			continue
		}
		fmt.Fprintf(&b, "  %s\n", r.Method)
		for _, n := range names {
			if v := r.Header.Values(n); v != nil {
				fmt.Fprintf(&b, "    %s: %s\n", n, strings.Join(v, " | "))
			}
		}
	}
	return b.String()
}

package e2e_test

import (
	"context"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

// BenchmarkBrowser measures one call per scenario on a warm browser: the
// cost a browser suite pays per case.
func BenchmarkBrowser(b *testing.B) {
	br := e2e.LaunchTest(b, e2e.Options{})
	page, api, _ := origins(b)
	scenarios := []struct {
		name string
		req  e2e.FetchRequest
	}{
		{"fetch/same-origin", e2e.FetchRequest{URL: page.URL + "/same-origin"}},
		{"fetch/cross-origin-allowed", e2e.FetchRequest{URL: api.URL + "/cors"}},
		{"fetch/cross-origin-blocked", e2e.FetchRequest{URL: api.URL + "/no-cors"}},
		{"fetch/preflight-refused", e2e.FetchRequest{URL: api.URL + "/refuse-preflight", Method: "PUT"}},
	}
	for _, s := range scenarios {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := br.Fetch(context.Background(), page.URL+"/", s.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("eval/reload-page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := br.Eval(context.Background(), page.URL+"/", "1", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package csrf_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crossgate/crossgate/csrf"
)

// BenchmarkCheck measures the pass path of Check, beside net/http's
// CrossOriginProtection on the very same requests. TrustedOrigin is a map
// lookup, a stand-in for the route's CORS policy.
func BenchmarkCheck(b *testing.B) {
	fetch, err := csrf.New(csrf.Config{TrustedOrigin: trusted})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	token, err := csrf.New(csrf.Config{Mode: csrf.Token, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	both, err := csrf.New(csrf.Config{Mode: csrf.Both, TrustedOrigin: trusted, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	std := http.NewCrossOriginProtection()
	for o := range trustedOrigins {
		if err := std.AddTrustedOrigin(o); err != nil {
			b.Fatal(err)
		}
	}

	request := func(site, origin string) *http.Request {
		r := newRequest("POST", "https://api.example.test/items")
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	withToken := func(p *csrf.Protection, r *http.Request) *http.Request {
		k := issue(b, p, "https://api.example.test/")
		r.Header.Set("Cookie", "session=0123456789abcdef; "+k.Name+"="+k.Value)
		r.Header.Set("X-CSRF-Token", k.Value)
		return r
	}

	scenarios := []struct {
		name string
		p    *csrf.Protection
		r    *http.Request
	}{
		{"same-origin-post", fetch, request("same-origin", "https://api.example.test")},
		{"cross-site-post-allowed-origin", fetch, request("cross-site", "https://app.example.test")},
		{"no-metadata-same-origin-post", fetch, request("", "https://api.example.test")},
		{"no-metadata-allowed-origin-post", fetch, request("", "https://app.example.test")},
		{"token-post", token, withToken(token, request("same-origin", "https://api.example.test"))},
		{"both-post", both, withToken(both, request("same-origin", "https://api.example.test"))},
	}
	for _, sc := range scenarios {
		if err := sc.p.Check(sc.r); err != nil {
			b.Fatalf("%s: %v", sc.name, err)
		}
		if err := std.Check(sc.r); err != nil {
			b.Fatalf("%s: net/http refuses it: %v", sc.name, err)
		}
		b.Run(sc.name+"/crossgate", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if sc.p.Check(sc.r) != nil {
					b.Fatal("refused")
				}
			}
		})
		b.Run(sc.name+"/net-http", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if std.Check(sc.r) != nil {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkRefusal measures Protect on requests it refuses, response
// included.
func BenchmarkRefusal(b *testing.B) {
	p, err := csrf.New(csrf.Config{TrustedOrigin: trusted})
	if err != nil {
		b.Fatal(err)
	}
	scenarios := []struct{ name, site, origin string }{
		{"cross-site", "cross-site", "https://evil.test"},
		{"userinfo-origin", "", "https://evil.test@api.example.test"},
	}
	for _, sc := range scenarios {
		r := newRequest("POST", "https://api.example.test/items")
		if sc.site != "" {
			r.Header.Set("Sec-Fetch-Site", sc.site)
		}
		r.Header.Set("Origin", sc.origin)
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				if p.Protect(w, r) == nil {
					b.Fatal("passed")
				}
			}
		})
	}
}

// BenchmarkSafeRequest measures Protect on a GET in token mode that carries
// a valid token cookie: the request every page load of a session makes,
// which must find the token genuine and leave it in place.
func BenchmarkSafeRequest(b *testing.B) {
	now := time.Now()
	p, err := csrf.New(csrf.Config{Mode: csrf.Token, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	k := issue(b, p, "https://api.example.test/")
	r := newRequest("GET", "https://api.example.test/page")
	r.Header.Set("Cookie", "session=0123456789abcdef; "+k.Name+"="+k.Value)
	w := &headerWriter{h: http.Header{}}
	b.Run("token-get-valid-cookie", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if p.Protect(w, r) != nil {
				b.Fatal("refused")
			}
		}
		if len(w.h) != 0 {
			b.Fatalf("a valid token was replaced: %v", w.h)
		}
	})
}

// headerWriter is a ResponseWriter that keeps only its header map, so that
// a benchmark measures Protect rather than a recorder.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}

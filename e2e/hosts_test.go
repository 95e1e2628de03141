package e2e_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

// allowAll answers every request with Access-Control-Allow-Origin: *.
func allowAll() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, r.Host)
	})
}

func TestHostResolution(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	tests := []struct {
		name, pageHost, apiHost string
	}{
		{"test names on both sides", "app.example.test", "api.example.test"},
		{"attacker-looking origin", "evil.test", "api.example.test"},
		{"localhost page still resolves", "localhost", "api.example.test"},
		{"test page calling localhost", "app.example.test", "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := e2e.NewServer(tt.pageHost, http.HandlerFunc(e2e.ServePage))
			defer page.Close()
			rec := e2e.NewRecorder(allowAll())
			api := e2e.NewServer(tt.apiHost, rec)
			defer api.Close()

			res, err := b.Fetch(context.Background(), page.URL+"/", e2e.FetchRequest{URL: api.URL + "/whoami"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || res.Body != api.URL[len("http://"):] {
				t.Fatalf("fetch = ok %v body %q error %q, want ok with the API's Host %q", res.OK, res.Body, res.Error, api.URL[len("http://"):])
			}
			if got := rec.Requests()[0].Header.Get("Origin"); got != page.Origin {
				t.Errorf("Origin = %q, want %q", got, page.Origin)
			}
		})
	}
}

// With HTTPS pages the browser sends Fetch Metadata, which CSRF tests rely on.
func TestTLSServers(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{
		Hosts:                   []string{"app.example.test", "api.example.test", "evil.test"},
		IgnoreCertificateErrors: true,
	})
	page := e2e.NewTLSServer("app.example.test", http.HandlerFunc(e2e.ServePage))
	defer page.Close()

	tests := []struct {
		name, apiHost, wantSite string
	}{
		{"same site", "api.example.test", "same-site"},
		{"cross site", "evil.test", "cross-site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e2e.NewRecorder(allowAll())
			api := e2e.NewTLSServer(tt.apiHost, rec)
			defer api.Close()
			res, err := b.Fetch(context.Background(), page.URL+"/", e2e.FetchRequest{URL: api.URL + "/"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Fatalf("fetch failed: %q (%+v)", res.Error, res.Trace)
			}
			if got := rec.Requests()[0].Header.Get("Sec-Fetch-Site"); got != tt.wantSite {
				t.Errorf("Sec-Fetch-Site = %q, want %q", got, tt.wantSite)
			}
		})
	}

	t.Run("unmapped host does not resolve", func(t *testing.T) {
		api := e2e.NewTLSServer("other.test", allowAll())
		defer api.Close()
		res, err := b.Fetch(context.Background(), page.URL+"/", e2e.FetchRequest{URL: api.URL + "/"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error == "" || len(res.Requests) == 0 || res.Requests[0].ErrorText != "net::ERR_NAME_NOT_RESOLVED" {
			t.Errorf("fetch = error %q requests %+v, want a name resolution failure", res.Error, res.Requests)
		}
	})
}

// A suite serves each scenario's page on its own port; the browser must keep
// working past its bound on open tabs, and come back to an early page.
func TestManyPages(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	var pages []*e2e.Server
	// One more page than the browser keeps tabs for.
	for range 9 {
		mux := http.NewServeMux()
		mux.HandleFunc("/", e2e.ServePage)
		mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		p := e2e.NewServer("app.example.test", mux)
		defer p.Close()
		pages = append(pages, p)
	}
	for i, p := range append(pages, pages[0]) {
		res, err := b.Fetch(context.Background(), p.URL+"/", e2e.FetchRequest{URL: "/data"})
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if res.Body != "ok" {
			t.Errorf("page %d: body %q error %q, want ok", i, res.Body, res.Error)
		}
	}
}

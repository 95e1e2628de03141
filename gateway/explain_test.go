package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
	"github.com/crossgate/crossgate/gateway"
)

// TestExplainAgreesWithServeHTTP sends each request to the gateway and asks
// Explain about the same request: the status the gateway answers with
// itself, and every CORS header, Allow and the refusal reason, must be the
// same.
func TestExplainAgreesWithServeHTTP(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // replaced by the gateway
	})
	gw, g := startGateway(t, basicConfig+`
  - id: strict
    path_prefix: /strict/
    upstream: users
    cors: {allow_origins: [https://app.example.com], enforce_origin: true}
`, up.URL)
	const app, evil = "https://app.example.com", "https://evil.example.net"
	for _, c := range []struct {
		name, method, path, wantRoute string
		hdr                           map[string]string
	}{
		{"allowed GET", "GET", "/users/1", "users", map[string]string{"Origin": app}},
		{"refused GET", "GET", "/users/1", "users", map[string]string{"Origin": evil}},
		{"no Origin", "GET", "/users/1", "users", nil},
		{"allowed preflight", "OPTIONS", "/users/1", "users", map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,content-type"}},
		{"preflight, header refused", "OPTIONS", "/users/1", "users", map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-debug"}},
		{"preflight, method refused", "OPTIONS", "/users/1", "users", map[string]string{"Origin": app, "Access-Control-Request-Method": "PATCH"}},
		{"preflight, origin refused", "OPTIONS", "/users/1", "users", map[string]string{"Origin": evil, "Access-Control-Request-Method": "PUT"}},
		{"method not routed", "DELETE", "/users/1", "users", map[string]string{"Origin": app}},
		{"no route", "GET", "/nowhere", "", map[string]string{"Origin": app}},
		{"CORS off", "GET", "/health", "open", map[string]string{"Origin": app}},
		{"enforced origin", "GET", "/strict/x", "strict", map[string]string{"Origin": evil}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := do(t, c.method, gw.URL+c.path, c.hdr)
			r := httptest.NewRequest(c.method, gw.URL+c.path, nil)
			for k, v := range c.hdr {
				r.Header.Set(k, v)
			}
			a := g.Explain(r)
			if a.Route != c.wantRoute {
				t.Errorf("route %q, want %q", a.Route, c.wantRoute)
			}
			want := resp.StatusCode
			if a.Status == 0 && want != http.StatusOK {
				t.Errorf("Explain says the upstream answers; the gateway answered %d", want)
			} else if a.Status != 0 && a.Status != want {
				t.Errorf("Explain status %d, the gateway answered %d", a.Status, want)
			}
			if a.Mode == "" && a.Status == 0 {
				return // the upstream's own headers, which Explain cannot know
			}
			for name, vv := range resp.Header {
				if !explained(name) {
					continue
				}
				if got := a.Header.Values(name); !slices.Equal(got, vv) {
					t.Errorf("%s: Explain %q, the gateway sent %q", name, got, vv)
				}
			}
			for name, vv := range a.Header {
				if !explained(name) {
					t.Errorf("Explain writes %s %q, which it should not", name, vv)
				} else if resp.Header[name] == nil {
					t.Errorf("Explain writes %s %q, the gateway did not", name, vv)
				}
			}
		})
	}
}

func explained(name string) bool {
	return strings.HasPrefix(name, "Access-Control-") || name == "Vary" || name == "Allow" ||
		name == "Timing-Allow-Origin" || name == "Crossgate-Cors-Refusal"
}

// TestDecisionsAreRecorded serves requests through a gateway with a
// decisions log: each CORS decision is there with its route and reason; a
// request without Origin is not.
func TestDecisionsAreRecorded(t *testing.T) {
	up := newUpstream(t, nil)
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(basicConfig, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	recent := &decisions.Log{}
	g, err := gateway.New(cfg, gateway.Options{Decisions: recent})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	defer gw.Close()
	do(t, "GET", gw.URL+"/users/1", map[string]string{"Origin": "https://evil.example.net"})
	do(t, "OPTIONS", gw.URL+"/users/1", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-debug"})
	do(t, "GET", gw.URL+"/users/1", nil)
	do(t, "GET", gw.URL+"/nowhere", map[string]string{"Origin": "https://app.example.com"})
	var got []string
	for _, e := range recent.Read(0, 0, time.Now()).Entries {
		got = append(got, e.Route+" "+e.Kind+" "+e.Origin+" "+e.Reason+" "+e.Detail)
	}
	want := []string{
		"users actual https://evil.example.net origin-not-allowed ",
		"users preflight https://app.example.com headers-not-allowed x-debug",
	}
	if !slices.Equal(got, want) {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

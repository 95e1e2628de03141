package config_test

import (
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
)

// TestCORSPolicy checks that a policy is compiled once for validation and
// the gateway, and that a policy changed since (in a copy of the config, or
// built in code) is compiled as it is now, never served stale.
func TestCORSPolicy(t *testing.T) {
	c, err := config.Parse("f.yaml", []byte(`
policies:
  web: {allow_origins: [https://a.example.com]}
upstreams: {u: {targets: ["http://127.0.0.1:1"]}}
routes:
  - {id: r, path: /, upstream: u, cors: web}
`))
	if err != nil {
		t.Fatal(err)
	}
	allows := func(p *cors.Policy, origin string) bool {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Origin", origin)
		d := p.Decide(r)
		return d.Allowed
	}
	web := c.Policies["web"]
	first, err := c.CORSPolicy(web)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.CORSPolicy(web); again != first {
		t.Error("the same policy was compiled twice")
	}
	if !allows(first, "https://a.example.com") {
		t.Error("the compiled policy refuses its own origin")
	}

	// A copy of the config whose policy gained an origin, as an editor of
	// snapshots would make it.
	changed := *c
	p := *web
	p.AllowOrigins = append([]string{"https://b.example.com"}, p.AllowOrigins...)
	changed.Policies = map[string]*config.Policy{"web": &p}
	got, err := changed.CORSPolicy(&p)
	if err != nil {
		t.Fatal(err)
	}
	if !allows(got, "https://b.example.com") {
		t.Error("the changed policy is served as it was before the change")
	}
	// The same address, edited in place.
	web.AllowOrigins = []string{"https://c.example.com"}
	if got, _ := c.CORSPolicy(web); got == first || !allows(got, "https://c.example.com") || allows(got, "https://a.example.com") {
		t.Error("a policy edited in place is served as it was compiled before")
	}

	inCode := &config.Config{}
	if got, err := inCode.CORSPolicy(&config.Policy{AllowOrigins: []string{"https://d.example.com"}}); err != nil || !allows(got, "https://d.example.com") {
		t.Errorf("a policy of a config built in code: %v", err)
	}
}

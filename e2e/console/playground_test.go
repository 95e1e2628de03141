package console_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/e2e"
)

// TestPlaygroundAgreesWithChromium makes each call from a page in Chromium
// and asks the console's playground about the same call: the verdict
// (allowed or blocked) and DevTools' CORS error must be the same.
func TestPlaygroundAgreesWithChromium(t *testing.T) {
	e := newEnv(t, "")
	json := http.Header{"Content-Type": {"application/json"}}
	text := http.Header{"Content-Type": {"text/plain"}}
	cases := []struct {
		name        string
		page        *e2e.Server
		method      string
		path        string
		header      http.Header
		credentials bool
	}{
		{"simple GET", e.app, "GET", "/api/", nil, false},
		{"simple GET, refused origin", e.evil, "GET", "/api/", nil, false},
		{"PUT with JSON", e.app, "PUT", "/api/", json, false},
		{"PUT, refused origin", e.evil, "PUT", "/api/", json, false},
		{"PATCH, not allowed", e.app, "PATCH", "/api/", nil, false},
		{"header not allowed", e.app, "GET", "/api/", http.Header{"X-Debug": {"1"}}, false},
		{"header allowed", e.app, "GET", "/api/", http.Header{"X-Allowed": {"1"}}, false},
		{"POST text/plain", e.app, "POST", "/api/", text, false},
		{"GET with credentials", e.app, "GET", "/api/", nil, true},
		{"GET with credentials, refused origin", e.evil, "GET", "/api/", nil, true},
		{"DELETE with Authorization", e.app, "DELETE", "/api/", http.Header{"Authorization": {"Bearer t"}}, true},
		{"no route", e.app, "GET", "/nowhere/", nil, false},
		{"method the route does not serve", e.app, "PUT", "/ro/", json, false},
		{"CORS off, upstream sends none", e.app, "GET", "/nocors/", nil, false},
		{"public policy", e.app, "GET", "/public/", nil, false},
		{"public policy with credentials", e.app, "GET", "/public/", nil, true},
		{"public policy, any origin", e.evil, "GET", "/public/", nil, false},
		{"public policy, PUT", e.evil, "PUT", "/public/", json, false},
		{"enforced origin, allowed", e.app, "GET", "/strict/", nil, false},
		{"enforced origin, refused", e.evil, "GET", "/strict/", nil, false},
		{"HEAD", e.app, "HEAD", "/api/", nil, false},
		{"POST JSON with credentials", e.app, "POST", "/api/", json, true},
		{"POST text/plain, refused origin", e.evil, "POST", "/api/", text, false},
		{"unsafe Accept-Language", e.app, "GET", "/api/", http.Header{"Accept-Language": {"(x)"}}, false},
	}
	if len(cases) < 20 {
		t.Fatalf("%d cases, the acceptance asks for 20", len(cases))
	}
	if _, err := e.b.Load(ctx(t), e.console+"#playground", waitJS(`document.querySelector("#pg-send")`, "true"), nil); err != nil {
		t.Fatal(err)
	}
	agree := 0
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A path of its own, so that no preflight comes from the cache.
			path := fmt.Sprintf("%sc%d", c.path, i)
			req := e2e.FetchRequest{URL: e.gw + path, Method: c.method, Header: c.header, Credentials: "omit"}
			if c.credentials {
				req.Credentials = "include"
			}
			if c.method == "POST" || c.method == "PUT" {
				req.Body = "{}"
			}
			res, err := e.b.Fetch(ctx(t), c.page.URL+"/", req)
			if err != nil {
				t.Fatal(err)
			}
			chromeAllowed := res.Error == ""

			lines := ""
			for k, vv := range c.header {
				for _, v := range vv {
					lines += k + ": " + v + "\n"
				}
			}
			var pg struct {
				Allowed bool   `json:"allowed"`
				Code    string `json:"code"`
				Error   string `json:"error"`
			}
			_, err = e.b.EvalInPlace(ctx(t), e.console+"#playground", `(async () => {
  const set = (id, v) => { document.querySelector(id).value = v; };
  set("#pg-origin", `+jsString(c.page.Origin)+`);
  set("#pg-method", `+jsString(c.method)+`);
  set("#pg-host", `+jsString(e.gwHost)+`);
  set("#pg-path", `+jsString(path)+`);
  set("#pg-headers", `+jsString(lines)+`);
  document.querySelector("#pg-credentials").checked = `+fmt.Sprint(c.credentials)+`;
  document.querySelector("#pg-send").click();
  `+waitFor(`document.querySelector("#pg-out #result, #pg-error")`)+`
  const err = document.querySelector("#pg-error");
  if (err) return {error: err.textContent};
  const code = document.querySelector("#result .verdict .code");
  return {allowed: !!document.querySelector("#result .verdict.allowed"), code: code ? code.textContent : ""};
})()`, &pg)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Error != "" {
				t.Fatalf("the playground refused the request: %s", pg.Error)
			}
			if pg.Allowed != chromeAllowed || pg.Code != res.CorsError {
				t.Errorf("playground: allowed %v %s; Chromium: allowed %v %s (%s)", pg.Allowed, pg.Code, chromeAllowed, res.CorsError, res.Error)
				return
			}
			agree++
		})
	}
	t.Logf("the playground agrees with Chromium on %d of %d requests", agree, len(cases))
}

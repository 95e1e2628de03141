package console_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/crossgate/crossgate/e2e"
)

// TestScreenshots shows each view of the console after pages on allowed and
// refused origins have called the gateway for a few seconds, and takes the
// screenshots of the README (kept with -update-screenshots).
func TestScreenshots(t *testing.T) {
	e := newEnv(t, "")
	json := http.Header{"Content-Type": {"application/json"}}
	for round := range 3 {
		for _, c := range []struct {
			page *e2e.Server
			req  e2e.FetchRequest
		}{
			{e.app, e2e.FetchRequest{URL: e.gw + "/api/users/1"}},
			{e.app, e2e.FetchRequest{URL: e.gw + "/api/users/2", Method: "PUT", Header: json, Body: "{}"}},
			{e.app, e2e.FetchRequest{URL: e.gw + "/public/status"}},
			{e.evil, e2e.FetchRequest{URL: e.gw + "/api/users/1"}},
			{e.app, e2e.FetchRequest{URL: e.gw + "/api/debug", Header: http.Header{"X-Debug": {"1"}}}},
			{e.app, e2e.FetchRequest{URL: e.gw + "/api/users/3", Method: "PATCH"}},
		} {
			if round > 0 && c.page == e.app && c.req.Method == "PATCH" {
				continue
			}
			if _, err := e.b.Fetch(ctx(t), c.page.URL+"/", c.req); err != nil {
				t.Fatal(err)
			}
		}
		e.send(t, "GET", "/api/orders", map[string]string{"Origin": "https://partner.example.org"})
		time.Sleep(time.Second)
	}

	if _, err := e.b.Load(ctx(t), e.console+"#decisions", waitJS(`document.querySelectorAll("#groups-table tr.group").length >= 6`, "true"), nil); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, e.console+"#decisions", "decisions")

	origin := e.evil.Origin
	if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(async () => {
  const tr = [...document.querySelectorAll("#groups-table tr.group.refused")].find((tr) => tr.querySelector(".origin").textContent === `+jsString(origin)+`);
  document.querySelector("#groups-table tr.sub[data-id='" + tr.getAttribute("data-id") + "'] .fix-button").click();
  `+waitFor(`document.querySelector(".fix-panel pre.yaml")`)+`
  tr.scrollIntoView();
  return true;
})()`, nil); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, e.console+"#decisions", "fix-file-mode")

	if _, err := e.b.Load(ctx(t), e.console+"#routes", waitJS(`document.querySelector("#routes-table")`, "true"), nil); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, e.console+"#routes", "routes")

	if _, err := e.b.Load(ctx(t), e.console+"#playground", `(async () => {
  `+waitFor(`document.querySelector("#pg-send")`)+`
  document.querySelector("#pg-origin").value = `+jsString(e.app.Origin)+`;
  document.querySelector("#pg-method").value = "PUT";
  document.querySelector("#pg-host").value = `+jsString(e.gwHost)+`;
  document.querySelector("#pg-path").value = "/api/users/42";
  document.querySelector("#pg-headers").value = "Content-Type: application/json\nX-Debug: 1";
  document.querySelector("#pg-credentials").checked = true;
  document.querySelector("#pg-send").click();
  `+waitFor(`document.querySelector("#result")`)+`
  return true;
})()`, nil); err != nil {
		t.Fatal(err)
	}
	e.screenshot(t, e.console+"#playground", "playground")
}

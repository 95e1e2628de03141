package console_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/e2e"
)

// TestViewsLoadWithoutErrors loads each view of the console afresh and
// requires that Chromium logged no error while loading and drawing it: no
// script error, nothing refused by the Content-Security-Policy.
func TestViewsLoadWithoutErrors(t *testing.T) {
	e := newEnv(t, "")
	// Something to show: a refused call and an allowed one.
	if _, err := e.b.Fetch(ctx(t), e.evil.URL+"/", e2e.FetchRequest{URL: e.gw + "/api/users/1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Fetch(ctx(t), e.app.URL+"/", e2e.FetchRequest{URL: e.gw + "/api/users/1"}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ hash, ready string }{
		{"#decisions", `document.querySelector("#groups-table tr.group.refused") && document.querySelector("#stream-status.live")`},
		{"#routes", `document.querySelector("#routes-table tr[data-id=strict]") && document.querySelector("section.policy .origins")`},
		{"#playground", `document.querySelector("#pg-send")`},
	} {
		t.Run(v.hash, func(t *testing.T) {
			tr, err := e.b.Load(ctx(t), e.console+v.hash, waitJS(v.ready, "true"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if errs := consoleErrors(tr); len(errs) > 0 {
				t.Errorf("console errors while loading %s:\n%s", v.hash, strings.Join(errs, "\n"))
			}
			for _, r := range tr.Requests {
				if !strings.HasPrefix(r.URL, "http://"+e.adminAddr+"/") && !strings.HasPrefix(r.URL, "about:") {
					t.Errorf("the console requested %s, not on its own origin", r.URL)
				}
			}
		})
	}
}

// TestEveryConsoleResponseHasCSP asks for every kind of console response,
// errors included, and requires the Content-Security-Policy on each.
func TestEveryConsoleResponseHasCSP(t *testing.T) {
	e := newEnv(t, "")
	base := "http://" + e.adminAddr
	for _, c := range []struct{ method, path string }{
		{"GET", "/ui"}, {"GET", "/ui/"}, {"GET", "/ui/app.js"}, {"GET", "/ui/style.css"}, {"GET", "/ui/favicon.svg"},
		{"GET", "/ui/missing.js"}, {"GET", "/ui/api/session"}, {"GET", "/ui/api/config"},
		{"POST", "/ui/api/session"}, // refused: no CSRF token
		{"POST", "/ui/api/v1/explain"}, {"PUT", "/ui/app.js"},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Security-Policy"); got != admin.ConsoleCSP {
			t.Errorf("%s %s (%d): Content-Security-Policy %q", c.method, c.path, resp.StatusCode, got)
		}
	}
	// The event stream too: read its headers, then leave.
	resp, err := http.Get(base + "/ui/api/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Security-Policy") != admin.ConsoleCSP || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("events: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestRefusedRequestAppearsWithinASecond has the console open and live, a
// page on a refused origin call the gateway, and measures how long the
// console takes to show the refusal, with its reason and the browser's fix.
func TestRefusedRequestAppearsWithinASecond(t *testing.T) {
	e := newEnv(t, "")
	live := `document.querySelector("#stream-status.live") && document.querySelector("#no-groups")`
	if _, err := e.b.Load(ctx(t), e.console+"#decisions", waitJS(live, "true"), nil); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		At     int64  `json:"at"`
		Reason string `json:"reason"`
		Cause  string `json:"cause"`
		Fix    string `json:"fix"`
		Config string `json:"config"`
		Code   string `json:"code"`
	}
	origin := e.evil.Origin
	row := `[...document.querySelectorAll("#groups-table tr.group.refused")].find((tr) => tr.querySelector(".origin").textContent === ` + jsString(origin) + `)`
	sub := `document.querySelector("#groups-table tr.sub[data-id='" + (` + row + `).getAttribute("data-id") + "']")`
	got := make(chan seen, 1)
	errc := make(chan error, 1)
	go func() {
		var s seen
		_, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", waitJS(row+` && `+sub,
			`{at: Date.now(), reason: (`+row+`).querySelector(".reason").textContent,
			  cause: `+sub+`.querySelector(".cause").textContent, fix: `+sub+`.querySelector(".fix").textContent,
			  config: `+sub+`.querySelector(".config").textContent, code: `+sub+`.querySelector(".code").textContent}`), &s)
		if err != nil {
			errc <- err
			return
		}
		got <- s
	}()
	time.Sleep(200 * time.Millisecond) // the watcher is running
	sent := time.Now()
	res, err := e.b.Fetch(ctx(t), e.evil.URL+"/", e2e.FetchRequest{URL: e.gw + "/api/users/7", Method: "PUT", Header: http.Header{"Content-Type": {"application/json"}}, Body: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == "" || res.CorsError != "PreflightMissingAllowOriginHeader" {
		t.Fatalf("the evil page's call: error %q, CORS error %q; want blocked", res.Error, res.CorsError)
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	case s := <-got:
		delay := time.UnixMilli(s.At).Sub(sent)
		t.Logf("the refusal showed %v after the call was made", delay)
		if delay > time.Second {
			t.Errorf("the refusal showed %v after the call, want within 1 s", delay)
		}
		if s.Reason != "origin-not-allowed" || s.Code != res.CorsError {
			t.Errorf("shown reason %q, code %q; want origin-not-allowed, %s (Chromium's)", s.Reason, s.Code, res.CorsError)
		}
		if !strings.Contains(s.Fix, "Access-Control-Allow-Origin: "+origin) || !strings.Contains(s.Config, "allow_origins: ["+origin+"]") {
			t.Errorf("fix %q, config %q: want the origin allowed", s.Fix, s.Config)
		}
	}

	// A second refusal of the same group updates its count.
	if _, err := e.b.Fetch(ctx(t), e.evil.URL+"/", e2e.FetchRequest{URL: e.gw + "/api/users/8", Method: "PUT", Header: http.Header{"Content-Type": {"application/json"}}, Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", waitJS(`(`+row+`).querySelector(".count").textContent === "2"`, "true"), nil); err != nil {
		t.Errorf("the group's count did not become 2: %v", err)
	}

	// In file mode the fix is the YAML line to write.
	var yaml string
	_, err = e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(async () => {
  const tr = `+row+`;
  document.querySelector("#groups-table tr.sub[data-id='" + tr.getAttribute("data-id") + "'] .fix-button").click();
  `+waitFor(`document.querySelector(".fix-panel pre.yaml")`)+`
  return document.querySelector(".fix-panel pre.yaml").textContent;
})()`, &yaml)
	if err != nil {
		t.Fatal(err)
	}
	if want := `allow_origins: ["` + e.app.Origin + `", "` + origin + `"]`; strings.TrimSpace(yaml) != want {
		t.Errorf("file mode shows %q, want %q", yaml, want)
	}
}

// TestMarkupIsShownAsText sends the gateway an origin and a header list
// full of markup, types a header name with markup in the playground, and
// proves that the console shows them as text: the characters are on the
// page, no element was made of them, and no script ran (the payload would
// call alert, and a script of the payload's would be logged as a CSP
// violation).
func TestMarkupIsShownAsText(t *testing.T) {
	e := newEnv(t, "")
	const xssOrigin = `https://x.test"><img src=x onerror=alert(1)>`
	const xssHeader = `<img src=x onerror=alert(2)>`
	e.send(t, "GET", "/api/a", map[string]string{"Origin": xssOrigin})
	e.send(t, "OPTIONS", "/api/b", map[string]string{"Origin": e.app.Origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": xssHeader})

	type shown struct {
		Imgs    int  `json:"imgs"`
		Alerted bool `json:"alerted"`
		Origin  bool `json:"origin"`
		Header  bool `json:"header"`
	}
	var s shown
	ready := `document.querySelectorAll("#groups-table tr.group").length >= 2 && document.querySelectorAll("#entries-table tbody tr").length >= 2`
	tr, err := e.b.Load(ctx(t), e.console+"#decisions", `(() => { window.alert = () => { window.alerted = true; }; })(), `+
		waitJS(ready, `{imgs: document.querySelectorAll("img").length, alerted: !!window.alerted,
		  origin: [...document.querySelectorAll(".origin")].some((el) => el.textContent === `+jsString(xssOrigin)+`),
		  header: document.body.textContent.includes(`+jsString(xssHeader)+`)}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Imgs != 0 || s.Alerted || !s.Origin || !s.Header {
		t.Errorf("decisions view: %+v; want the origin and the header list as text, no img element, no alert", s)
	}
	if errs := consoleErrors(tr); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}

	// The playground shows a header name with markup, which no page can
	// send, in its refusal, as text too.
	var p shown
	tr, err = e.b.Load(ctx(t), e.console+"#playground", `(async () => {
  window.alert = () => { window.alerted = true; };
  `+waitFor(`document.querySelector("#pg-send")`)+`
  document.querySelector("#pg-headers").value = `+jsString(xssHeader+": 1")+`;
  document.querySelector("#pg-send").click();
  `+waitFor(`document.querySelector("#pg-error")`)+`
  return {imgs: document.querySelectorAll("img").length, alerted: !!window.alerted,
    origin: true, header: document.querySelector("#pg-error").textContent.includes(`+jsString(xssHeader)+`)};
})()`, &p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Imgs != 0 || p.Alerted || !p.Header {
		t.Errorf("playground: %+v; want the refused header name quoted as text, no img element, no alert", p)
	}
	if errs := consoleErrors(tr); len(errs) > 0 && !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "400") }) {
		t.Errorf("console errors: %v", errs)
	}
}

// TestFiltersAndChart calls two routes from an allowed and a refused page,
// then checks the Decisions view's counts and each filter.
func TestFiltersAndChart(t *testing.T) {
	e := newEnv(t, "")
	for _, c := range []struct {
		page *e2e.Server
		path string
	}{{e.app, "/api/a"}, {e.app, "/api/b"}, {e.app, "/public/c"}, {e.evil, "/api/d"}, {e.evil, "/api/e"}} {
		if _, err := e.b.Fetch(ctx(t), c.page.URL+"/", e2e.FetchRequest{URL: e.gw + c.path}); err != nil {
			t.Fatal(err)
		}
	}
	type view struct {
		Allowed string   `json:"allowed"`
		Refused string   `json:"refused"`
		Rows    []string `json:"rows"`
	}
	// rows lists the visible groups as "route origin result".
	const rows = `[...document.querySelectorAll("#groups-table tr.group")].map((tr) => tr.querySelector(".route").textContent + " " + tr.querySelector(".origin").textContent + " " + (tr.classList.contains("allowed") ? "allowed" : "refused"))`
	var all view
	if _, err := e.b.Load(ctx(t), e.console+"#decisions", waitJS(`document.querySelector("#count-refused") && document.querySelector("#count-allowed").textContent === "3" && document.querySelector("#count-refused").textContent === "2"`,
		`{allowed: document.querySelector("#count-allowed").textContent, refused: document.querySelector("#count-refused").textContent, rows: `+rows+`}`), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) != 3 {
		t.Errorf("groups %q, want 3: api and public from the app page, api from the evil page", all.Rows)
	}
	for _, f := range []struct {
		name, set string
		want      []string
	}{
		{"refused only", `document.querySelector("#f-result").value = "refused"; document.querySelector("#f-result").dispatchEvent(new Event("change"));`,
			[]string{"api " + e.evil.Origin + " refused"}},
		{"route public", `document.querySelector("#f-result").value = ""; document.querySelector("#f-route").value = "public"; document.querySelector("#f-route").dispatchEvent(new Event("change"));`,
			[]string{"public " + e.app.Origin + " allowed"}},
		{"origin contains evil", `document.querySelector("#f-route").value = ""; const o = document.querySelector("#f-origin"); o.value = "evil"; o.dispatchEvent(new Event("input"));`,
			[]string{"api " + e.evil.Origin + " refused"}},
	} {
		var got []string
		if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(() => { `+f.set+` return `+rows+`; })()`, &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, f.want) {
			t.Errorf("%s: groups %q, want %q", f.name, got, f.want)
		}
	}
}

package console_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/config/etcdstore"
	"github.com/crossgate/crossgate/e2e"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/etcdtest"
)

const (
	adminKey  = "console-admin-key-0123456789"
	viewerKey = "console-viewer-key-0123456789"
)

// clusterShared is the cluster's config: %[1]s is the allowed page's
// origin, %[2]s the upstream.
const clusterShared = `
policies:
  web: {allow_origins: [%[1]q], allow_methods: [GET, PUT]}
upstreams:
  api: {targets: [%[2]q]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
`

const clusterNode = `
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
  keys:
    - {name: ops, key: "` + adminKey + `", role: admin}
    - {name: dash, key: "` + viewerKey + `", role: viewer}
`

// startClusterNode runs a 3-member etcd cluster holding clusterShared and
// one gateway node on it, and returns the env of that node.
func startClusterNode(t *testing.T) *env {
	t.Helper()
	b := e2e.LaunchTest(t, e2e.Options{})
	etcd := etcdtest.Start(t, 3)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(up.Close)
	page := http.HandlerFunc(e2e.ServePage)
	e := &env{b: b, app: e2e.NewServer("app.test", page), evil: e2e.NewServer("evil.test", page)}
	t.Cleanup(e.app.Close)
	t.Cleanup(e.evil.Close)

	shared, err := config.Parse("shared.yaml", []byte(fmt.Sprintf(clusterShared, e.app.Origin, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	push, err := etcdstore.New(etcdstore.Options{Endpoints: etcd.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := push.Replace(pctx, shared); err != nil {
		t.Fatalf("push: %v", err)
	}
	push.Close()

	node, err := config.Parse("node.yaml", []byte(clusterNode))
	if err != nil {
		t.Fatal(err)
	}
	store, err := etcdstore.New(etcdstore.Options{Endpoints: etcd.Endpoints(), Node: node, NodeID: "n1", Version: "test",
		SnapshotFile: filepath.Join(t.TempDir(), "n1.snapshot.json"), StartTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan [2]net.Addr, 1)
	srv := &gateway.Server{Store: store, Ready: func(gw, admin net.Addr) { ready <- [2]net.Addr{gw, admin} }}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case a := <-ready:
		_, port, _ := net.SplitHostPort(a[0].String())
		e.gwHost = "gw.test:" + port
		e.gw = "http://" + e.gwHost
		e.adminAddr = a[1].String()
		e.console = "http://" + e.adminAddr + "/ui/"
	case err := <-done:
		t.Fatalf("node: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("node did not start")
	}
	t.Cleanup(func() {
		stop()
		<-done
		store.Close()
	})
	return e
}

// login logs the console in with key, in a fresh load of the page, and
// requires that the login page and the view after it logged no error.
func (e *env) login(t *testing.T, key string) {
	t.Helper()
	tr, err := e.b.Load(ctx(t), e.console+"#decisions", `(async () => {
  `+waitFor(`document.querySelector("#login #key")`)+`
  document.querySelector("#key").value = `+jsString(key)+`;
  document.querySelector("#login button").click();
  `+waitFor(`document.querySelector("#stream-status.live")`)+`
  return true;
})()`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if errs := consoleErrors(tr); len(errs) > 0 {
		t.Errorf("console errors while logging in: %v", errs)
	}
}

// prepareFix opens the fix of the refused group of origin, in the console
// as it is, and waits until its Apply button or its lines show.
func (e *env) prepareFix(t *testing.T, origin string) {
	t.Helper()
	if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(async () => {
  const row = () => [...document.querySelectorAll("#groups-table tr.group.refused")].find((tr) => tr.querySelector(".origin").textContent === `+jsString(origin)+`);
  `+waitFor(`row()`)+`
  const id = row().getAttribute("data-id");
  `+waitFor(`document.querySelector("#groups-table tr.sub[data-id='" + id + "'] .fix-button")`)+`
  document.querySelector("#groups-table tr.sub[data-id='" + id + "'] .fix-button").click();
  const panel = `+panelJS(origin)+`;
  `+waitFor(`panel.querySelector("h4, .error")`)+`
  return true;
})()`, nil); err != nil {
		t.Fatal(err)
	}
}

// panelJS is an expression for the fix panel of the refused group of
// origin.
func panelJS(origin string) string {
	return `document.querySelector("#groups-table tr.sub[data-id='" + [...document.querySelectorAll("#groups-table tr.group.refused")].find((tr) => tr.querySelector(".origin").textContent === ` + jsString(origin) + `).getAttribute("data-id") + "'] .fix-panel")`
}

// apply clicks Apply in the fix panel of origin's group and returns the
// outcome's class and text.
func (e *env) apply(t *testing.T, origin string) (class, text string) {
	t.Helper()
	var out struct{ Class, Text string }
	if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(async () => {
  const panel = `+panelJS(origin)+`;
  `+waitFor(`panel.querySelector(".apply")`)+`
  panel.querySelector(".apply").click();
  `+waitFor(`panel.querySelector(".fix-result .applied, .fix-result .error")`)+`
  const r = panel.querySelector(".fix-result p");
  r.scrollIntoView({block: "center"});
  return {Class: r.className, Text: r.textContent};
})()`, &out); err != nil {
		t.Fatal(err)
	}
	return out.Class, out.Text
}

// TestFixInClusterMode logs into the console of a cluster node with an
// admin key, allows a refused page's origin in one step, and checks that
// the page's next call succeeds; then it prepares a second fix, changes the
// policy behind the console's back, and checks that applying the stale fix
// reports the conflict and overwrites nothing.
func TestFixInClusterMode(t *testing.T) {
	e := startClusterNode(t)
	e.login(t, adminKey)

	call := func(page *e2e.Server, path string) e2e.FetchResult {
		t.Helper()
		res, err := e.b.Fetch(ctx(t), page.URL+"/", e2e.FetchRequest{URL: e.gw + path})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := call(e.evil, "/api/before"); res.Error == "" {
		t.Fatal("the evil page's call passed before the fix")
	}
	e.prepareFix(t, e.evil.Origin)
	if class, text := e.apply(t, e.evil.Origin); !strings.Contains(class, "applied") {
		t.Fatalf("apply: %s %q", class, text)
	}
	e.screenshot(t, e.console+"#decisions", "fix-cluster-mode")
	// The node applies the change when etcd's watch brings it: within a
	// few seconds the page's next call succeeds.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		res := call(e.evil, fmt.Sprintf("/api/after-%d", i))
		if res.Error == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page's call still fails 10 s after the fix: %s %s", res.Error, res.CorsError)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A stale edit: a third origin's fix is prepared, then someone else
	// changes the policy, then the fix is applied.
	other := e2e.NewServer("other.test", http.HandlerFunc(e2e.ServePage))
	defer other.Close()
	if res := call(other, "/api/other"); res.Error == "" {
		t.Fatal("the other page's call passed before any fix")
	}
	e.prepareFix(t, other.Origin)
	base := "http://" + e.adminAddr + "/v1/policies/web"
	req, _ := http.NewRequest("GET", base, nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	changed := strings.Replace(string(body), `"allow_methods":["GET","PUT"]`, `"allow_methods":["GET","PUT","DELETE"]`, 1)
	if changed == string(body) {
		t.Fatalf("policy body %s: no allow_methods to change", body)
	}
	req, _ = http.NewRequest("PUT", base, strings.NewReader(changed))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("If-Match", resp.Header.Get("ETag"))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the change behind the console's back: %d", resp.StatusCode)
	}
	class, text := e.apply(t, other.Origin)
	if !strings.Contains(class, "conflict") || !strings.Contains(text, "Nothing was overwritten") {
		t.Errorf("applying the stale fix: %s %q, want the conflict message", class, text)
	}
	e.screenshot(t, e.console+"#decisions", "fix-conflict")
	if res := call(other, "/api/other-after"); res.Error == "" {
		t.Error("the stale fix was applied: the other page's call passes")
	}
}

// TestViewerSeesButDoesNotChange logs in with a viewer's key: the console
// shows the decisions and prepares the fix, but offers no Apply, and the
// Admin API behind it refuses a change made with the viewer's session.
func TestViewerSeesButDoesNotChange(t *testing.T) {
	e := startClusterNode(t)
	if _, err := e.b.Fetch(ctx(t), e.evil.URL+"/", e2e.FetchRequest{URL: e.gw + "/api/x"}); err != nil {
		t.Fatal(err)
	}
	e.login(t, viewerKey)
	e.prepareFix(t, e.evil.Origin)
	var got struct {
		Apply  bool   `json:"apply"`
		Note   string `json:"note"`
		Status int    `json:"status"`
	}
	if _, err := e.b.EvalInPlace(ctx(t), e.console+"#decisions", `(async () => {
  const token = document.cookie.split(";").map((c) => c.trim().split("=")).find(([k]) => k === "crossgate_console_csrf")[1];
  const r = await fetch("/ui/api/v1/policies/web", {method: "DELETE", headers: {"X-CSRF-Token": token}});
  const panel = `+panelJS(e.evil.Origin)+`;
  return {apply: !!panel.querySelector(".apply"), note: panel.textContent, status: r.status};
})()`, &got); err != nil {
		t.Fatal(err)
	}
	if got.Apply || !strings.Contains(got.Note, "viewer") || got.Status != http.StatusForbidden {
		t.Errorf("viewer: Apply shown %v, panel %q, DELETE through the console %d; want no Apply, a note, 403", got.Apply, got.Note, got.Status)
	}
}

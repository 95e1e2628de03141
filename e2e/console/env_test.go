package console_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/e2e"
	"github.com/crossgate/crossgate/gateway"
)

// updateScreenshots writes the screenshots of the console's views into
// docs/, for the README; without it they are taken and checked, not kept.
var updateScreenshots = flag.Bool("update-screenshots", false, "write the console screenshots into docs/")

// An env is `crossgate serve` in-process with its admin listener, the
// upstream behind it, two pages on other origins, and the browser.
type env struct {
	b *e2e.Browser
	// gw is the gateway's base URL as pages call it, gwHost its host:port.
	gw, gwHost string
	// console is the console's URL, adminAddr the admin listener's.
	console, adminAddr string
	// app is a page whose origin the policy allows; evil one it does not.
	app, evil *e2e.Server
}

// serveConfig is the gateway's file: %[1]s is the allowed page's origin,
// %[2]s the upstream. %[3]s is the admin section.
const serveConfig = `
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
%[3]s
policies:
  web:
    allow_origins: [%[1]q]
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, Authorization, X-Allowed]
    expose_headers: [X-Request-Id]
    allow_credentials: true
    dangerously_allow_insecure_origins: true # the test pages are plain http
    max_age: 600
  public:
    allow_origins: ["*"]
upstreams:
  api: {targets: [%[2]q]}
routes:
  - {id: api, path_prefix: /api/, upstream: api, cors: web}
  - {id: readonly, path_prefix: /ro/, methods: [GET], upstream: api, cors: web}
  - {id: public, path_prefix: /public/, upstream: api, cors: public}
  - {id: strict, path_prefix: /strict/, upstream: api, cors: {allow_origins: [%[1]q], enforce_origin: true}}
  - {id: nocors, path_prefix: /nocors/, upstream: api, cors: "off"}
`

func newEnv(t *testing.T, adminSection string) *env {
	t.Helper()
	b := e2e.LaunchTest(t, e2e.Options{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"path":%q}`, r.Method, r.URL.Path)
	}))
	t.Cleanup(up.Close)
	page := http.HandlerFunc(e2e.ServePage)
	e := &env{b: b, app: e2e.NewServer("app.test", page), evil: e2e.NewServer("evil.test", page)}
	t.Cleanup(e.app.Close)
	t.Cleanup(e.evil.Close)

	yaml := fmt.Sprintf(serveConfig, e.app.Origin, up.URL, adminSection)
	type addrs struct{ gw, admin net.Addr }
	ready := make(chan addrs, 1)
	srv := &gateway.Server{
		Store: &config.StaticStore{Name: "console.yaml", Data: []byte(yaml)},
		Ready: func(gw, admin net.Addr) { ready <- addrs{gw, admin} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case a := <-ready:
		_, port, _ := net.SplitHostPort(a.gw.String())
		e.gwHost = "gw.test:" + port
		e.gw = "http://" + e.gwHost
		e.adminAddr = a.admin.String()
		e.console = "http://" + e.adminAddr + "/ui/"
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return e
}

// ctx bounds one browser call.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// waitJS is a script that waits, up to 20 s, for the expression cond to be
// true in the page, then returns the value of result.
func waitJS(cond, result string) string {
	return "(async () => {\n" + waitFor(cond) + "\nreturn " + result + ";\n})()"
}

// waitFor is a statement, for an async function, that waits up to 20 s for
// the expression cond to be true.
func waitFor(cond string) string {
	return `{
  const end = Date.now() + 20000;
  while (!(` + cond + `)) {
    if (Date.now() > end) throw new Error("timed out waiting for: " + ` + jsString(cond) + ` + " in " + document.body.innerText.slice(0, 2000));
    await new Promise((r) => setTimeout(r, 20));
  }
}`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errors returns the error-level console messages of a trace.
func consoleErrors(tr e2e.Trace) []string {
	var out []string
	for _, m := range tr.Console {
		if m.Level == "error" || m.Source == "exception" {
			out = append(out, m.Source+": "+m.Text)
		}
	}
	return out
}

// screenshot takes a PNG of the console page pageURL as it is, and keeps it
// as docs/console-<name>.png with -update-screenshots.
func (e *env) screenshot(t *testing.T, pageURL, name string) {
	t.Helper()
	png, err := e.b.ScreenshotSize(ctx(t), pageURL, 1200, 900)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: %d bytes, not a PNG", name, len(png))
	}
	if !*updateScreenshots {
		return
	}
	path := filepath.Join("..", "..", "docs", "console-"+name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// send makes a request to the gateway from Go, as no browser would (a
// malformed Origin, markup in a header list).
func (e *env) send(t *testing.T, method, path string, hdr map[string]string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1:"+strings.Split(e.gwHost, ":")[1]+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

package demo_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/demo"
	"github.com/crossgate/crossgate/e2e"
	"github.com/crossgate/crossgate/internal/syncbuf"
)

// resultsJS waits for the page to finish its calls and returns each call's
// outcome as the page shows it.
const resultsJS = `new Promise((resolve, reject) => {
  const deadline = Date.now() + 15000;
  const check = () => {
    if (document.body.dataset.done === "true") {
      resolve(Object.fromEntries([...document.querySelectorAll("#results tr[id]")]
        .map(r => [r.id, r.dataset.result])));
    } else if (Date.now() > deadline) {
      reject(new Error("the page did not finish its calls"));
    } else {
      setTimeout(check, 50);
    }
  };
  check();
})`

// TestDemoInChromium opens both demo pages in headless Chromium: the allowed
// page's calls succeed, except the one with a header the policy does not
// allow, and every call of the other page is blocked by the browser.
func TestDemoInChromium(t *testing.T) {
	b := e2e.LaunchTest(t, e2e.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var calls syncbuf.Buffer
	d, err := demo.Start(ctx, demo.Options{Calls: &calls})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	allowed, other := strings.TrimSuffix(d.AllowedPage, "/"), strings.TrimSuffix(d.OtherPage, "/")

	pages := []struct {
		name string
		url  string
		want map[string]string
	}{
		{"allowed page", d.AllowedPage, map[string]string{
			"simple-get": "allowed", "credentialed-put": "allowed", "disallowed-header": "blocked",
		}},
		{"other page", d.OtherPage, map[string]string{
			"simple-get": "blocked", "credentialed-put": "blocked", "disallowed-header": "blocked",
		}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			var got map[string]string
			if _, err := b.Eval(ctx, p.url, resultsJS, &got); err != nil {
				t.Fatal(err)
			}
			for id, want := range p.want {
				if got[id] != want {
					t.Errorf("%s: %q, want %q", id, got[id], want)
				}
			}
			if len(got) != len(p.want) {
				t.Errorf("page ran %d calls, want %d: %v", len(got), len(p.want), got)
			}
		})
	}
	// The demo printed each call with the gateway's decision.
	for _, want := range []string{
		" OPTIONS /api/users/42 from " + allowed + ": preflight allowed, 204, route api\n",
		" PUT /api/users/42 from " + allowed + ": actual allowed, 200, route api\n",
		" OPTIONS /api/users/42 from " + allowed + ": preflight refused (headers-not-allowed), 403, route api\n",
		" GET /api/users/42 from " + other + ": actual refused (origin-not-allowed), 200, route api\n",
		" OPTIONS /api/users/42 from " + other + ": preflight refused (origin-not-allowed), 403, route api\n",
	} {
		if !strings.Contains(calls.String(), want) {
			t.Errorf("the demo did not print %q; it printed:\n%s", want, calls.String())
		}
	}

	// The console shows the other page's refused calls.
	var reasons []string
	if _, err := b.Eval(ctx, d.ConsoleURL, `new Promise((resolve, reject) => {
  const deadline = Date.now() + 10000;
  const check = () => {
    const rows = [...document.querySelectorAll("#groups-table tr.group.refused")]
      .filter((tr) => tr.querySelector(".origin").textContent === `+strconv.Quote(other)+`);
    if (rows.length > 0) resolve(rows.map((tr) => tr.querySelector(".reason").textContent));
    else if (Date.now() > deadline) reject(new Error("the console shows no refusal of the other page"));
    else setTimeout(check, 50);
  };
  check();
})`, &reasons); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(reasons, "origin-not-allowed") {
		t.Errorf("the console shows the other page's calls refused for %v, want origin-not-allowed", reasons)
	}
}

// TestHomePage: the gateway's root URL, which the demo prints first, links
// both pages and the API, and shows the policy and commands to run.
func TestHomePage(t *testing.T) {
	d, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	resp, err := http.Get(d.GatewayURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s, want an HTML page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`href="` + d.AllowedPage + `"`, `href="` + d.OtherPage + `"`, `href="` + d.API + `"`,
		"allow_origins: [" + strings.TrimSuffix(d.AllowedPage, "/") + "]",
		"go run ./cmd/crossgate check " + d.API + " --origin ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the home page lacks %q:\n%s", want, body)
		}
	}
	if !strings.HasPrefix(d.Policy, "allow_origins: [") {
		t.Errorf("Policy = %q, want the policy's config lines", d.Policy)
	}
}

// TestStartPortInUse: a port another program holds makes Start fail with
// EADDRINUSE, which crossgate demo explains, and the ports Start had already
// opened are free again.
func TestStartPortInUse(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gatewayPort := free.Addr().(*net.TCPAddr).Port
	free.Close()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	_, err = demo.Start(context.Background(), demo.Options{GatewayPort: gatewayPort, OtherPort: taken.Addr().(*net.TCPAddr).Port})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start: %v, want EADDRINUSE", err)
	}
	again, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gatewayPort)))
	if err != nil {
		t.Fatalf("the gateway's port is still held after Start failed: %v", err)
	}
	again.Close()
}

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gatewayAPICase is one case of the Gateway API's HTTPRouteCORS
// conformance test (kubernetes-sigs/gateway-api
// conformance/tests/httproute-cors.go at 4564255ac2c3), restated: the
// request and what the response must carry. valid lists the values a
// header may have, any one of them; absent the headers it must not have.
type gatewayAPICase struct {
	name     string
	path     string
	method   string
	headers  map[string]string
	statuses []int
	valid    map[string][]string
	absent   []string
	// ignoreSpace compares header values without their spaces.
	ignoreSpace bool
}

var gatewayAPICases = []gatewayAPICase{
	{
		name: "preflight from an exact matching origin is allowed", path: "/cors-1", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://www.foo.com", "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200, 204}, ignoreSpace: true,
		valid: map[string][]string{
			"access-control-allow-origin":      {"https://www.foo.com"},
			"access-control-allow-methods":     {"GET, OPTIONS", "OPTIONS, GET"},
			"access-control-allow-headers":     {"x-header-1, x-header-2", "x-header-2, x-header-1"},
			"access-control-expose-headers":    {"x-header-3, x-header-4", "x-header-4, x-header-3"},
			"access-control-max-age":           {"3600"},
			"access-control-allow-credentials": {"true"},
		},
	},
	{
		name: "preflight from a wildcard matching origin is allowed", path: "/cors-1", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://www.bar.com", "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200, 204}, ignoreSpace: true,
		valid: map[string][]string{
			"access-control-allow-origin":      {"https://www.bar.com"},
			"access-control-allow-methods":     {"GET, OPTIONS", "OPTIONS, GET"},
			"access-control-allow-headers":     {"x-header-1, x-header-2", "x-header-2, x-header-1"},
			"access-control-expose-headers":    {"x-header-3, x-header-4", "x-header-4, x-header-3"},
			"access-control-max-age":           {"3600"},
			"access-control-allow-credentials": {"true"},
		},
	},
	{
		name: "preflight from an origin several labels left of the wildcard is allowed", path: "/cors-1", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://xpto.www.bar.com", "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200, 204}, ignoreSpace: true,
		valid: map[string][]string{
			"access-control-allow-origin":      {"https://xpto.www.bar.com"},
			"access-control-allow-methods":     {"GET, OPTIONS", "OPTIONS, GET"},
			"access-control-allow-headers":     {"x-header-1, x-header-2", "x-header-2, x-header-1"},
			"access-control-expose-headers":    {"x-header-3, x-header-4", "x-header-4, x-header-3"},
			"access-control-max-age":           {"3600"},
			"access-control-allow-credentials": {"true"},
		},
	},
	{
		name: "preflight from a non-matching origin is not allowed", path: "/cors-1", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://foobar.com", "access-control-request-method": "GET"},
		statuses: []int{200, 204, 403}, absent: []string{"access-control-allow-origin"},
	},
	{
		name: "simple request from an exact matching origin is allowed", path: "/cors-1", method: "GET",
		headers:  map[string]string{"Origin": "https://www.foo.com", "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200}, valid: map[string][]string{"access-control-allow-origin": {"https://www.foo.com"}},
	},
	{
		name: "simple request from a wildcard matching origin is allowed", path: "/cors-1", method: "GET",
		headers:  map[string]string{"Origin": "https://www.bar.com", "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200}, valid: map[string][]string{"access-control-allow-origin": {"https://www.bar.com"}},
	},
	{
		name: "simple request from a non-matching origin is not allowed", path: "/cors-1", method: "GET",
		headers: map[string]string{"Origin": "https://foobar.com", "access-control-request-method": "GET"},
		absent:  []string{"access-control-allow-origin"},
	},
	{
		name: "preflight for POST is allowed by allowMethods *", path: "/cors-2", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://www.foo.com", "access-control-request-method": "POST"},
		statuses: []int{200, 204},
		valid:    map[string][]string{"access-control-allow-methods": {"POST", "*"}, "access-control-allow-origin": {"https://www.foo.com"}},
		absent:   []string{"access-control-allow-credentials"},
	},
	{
		name: "preflight gets no allow-credentials without allowCredentials", path: "/cors-2", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://www.foo.com", "access-control-request-method": "POST"},
		statuses: []int{200, 204}, absent: []string{"Access-Control-Allow-Credentials"},
	},
	{
		name: "preflight from any origin gets * or the origin", path: "/cors-wildcard-origin", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://foobar.com", "access-control-request-method": "PUT"},
		statuses: []int{200, 204},
		valid:    map[string][]string{"access-control-allow-origin": {"https://foobar.com", "*"}, "access-control-allow-methods": {"PUT"}},
		absent:   []string{"Access-Control-Allow-Credentials"},
	},
	{
		name: "preflight from any origin with a port gets * or the origin", path: "/cors-wildcard-origin", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://foobar.com:12345", "access-control-request-method": "PUT"},
		statuses: []int{200, 204},
		valid:    map[string][]string{"access-control-allow-origin": {"https://foobar.com:12345", "*"}, "access-control-allow-methods": {"PUT"}},
		absent:   []string{"Access-Control-Allow-Credentials"},
	},
	{
		name: "request from any origin with a port gets * or the origin", path: "/cors-wildcard-origin", method: "PUT",
		headers:  map[string]string{"Origin": "https://foobar.com:12345"},
		statuses: []int{200}, valid: map[string][]string{"access-control-allow-origin": {"https://foobar.com:12345", "*"}},
	},
	{
		name: "simple request from any origin gets * or the origin", path: "/cors-wildcard-origin", method: "PUT",
		headers:  map[string]string{"Origin": "https://foobar.com"},
		statuses: []int{200}, valid: map[string][]string{"access-control-allow-origin": {"https://foobar.com", "*"}},
		absent: []string{"Access-Control-Allow-Credentials"},
	},
	{
		name: "preflight for wildcard methods and headers without credentials", path: "/cors-wildcard-methods-headers-unauth", method: "OPTIONS",
		headers:  map[string]string{"Origin": "https://other.foo.com", "access-control-request-method": "PUT", "access-control-request-headers": "x-header-1, x-header-2"},
		statuses: []int{200, 204}, ignoreSpace: true,
		valid: map[string][]string{
			"access-control-allow-origin":  {"https://other.foo.com", "*"},
			"access-control-allow-methods": {"PUT", "*"},
			"access-control-allow-headers": {"x-header-1, x-header-2", "x-header-2, x-header-1", "*"},
		},
		absent: []string{"access-control-allow-credentials"},
	},
	{
		name: "request without allowCredentials gets no allow-credentials", path: "/cors-wildcard-methods-headers-unauth", method: "GET",
		headers:  map[string]string{"Origin": "https://other.foo.com"},
		statuses: []int{200}, valid: map[string][]string{"access-control-allow-origin": {"https://other.foo.com", "*"}},
		absent: []string{"access-control-allow-credentials"},
	},
}

// The cases of the route /cors-wildcard-methods-headers, whose CORS filter
// allows "*" origins with credentials: the import refuses it, so these
// requests find no route.
var gatewayAPIRefused = []gatewayAPICase{
	{name: "preflight with * origins and credentials", path: "/cors-wildcard-methods-headers", method: "OPTIONS",
		headers: map[string]string{"Origin": "https://other.foo.com", "access-control-request-method": "PUT", "access-control-request-headers": "x-header-1, x-header-2"}},
	{name: "request with * origins and credentials", path: "/cors-wildcard-methods-headers", method: "GET",
		headers: map[string]string{"Origin": "https://other.foo.com"}},
}

// TestGatewayAPIConformance imports the routes of the Gateway API's
// HTTPRouteCORS conformance test with crossgate import, serves them with
// crossgate serve (the built binary), and runs the test's cases against
// it.
func TestGatewayAPIConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the crossgate binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "crossgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	}))
	defer backend.Close()

	out := filepath.Join(dir, "crossgate.yaml")
	imp := exec.Command(bin, "import", "gateway-api", "../../importer/testdata/conformance/httproute-cors.yaml",
		"--backend", "infra-backend-v1="+backend.URL, "-o", out)
	report, err := imp.CombinedOutput()
	if code := imp.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("import exited %d (%v), want 1 for the refused route:\n%s", code, err, report)
	}
	var errs []string
	for _, l := range strings.Split(string(report), "\n") {
		if strings.Contains(l, ": error ") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "error wildcard-credentials: HTTPRoute gateway-conformance-infra/cors-wildcard-methods-headers rules[0]") ||
		!strings.Contains(errs[0], "list the origins that need credentials") {
		t.Fatalf("want one error, the refused * with credentials, with its fix; got:\n%s", report)
	}

	// The gateway listens on a port the kernel picks; it says which.
	cfg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "listen: 127.0.0.1:8080", "listen: 127.0.0.1:0", 1))
	if err := os.WriteFile(out, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, bin, out)

	client := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range gatewayAPICases {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(t, client, base, tc)
			if len(tc.statuses) > 0 && !slices.Contains(tc.statuses, resp.StatusCode) {
				t.Errorf("status %d, want one of %v", resp.StatusCode, tc.statuses)
			}
			for name, want := range tc.valid {
				vals, ok := resp.Header[http.CanonicalHeaderKey(name)]
				if !ok {
					t.Errorf("%s is missing", name)
					continue
				}
				got := strings.Join(vals, ",")
				if tc.ignoreSpace {
					got = strings.ReplaceAll(got, " ", "")
					want = slices.Clone(want)
					for i := range want {
						want[i] = strings.ReplaceAll(want[i], " ", "")
					}
				}
				if !slices.Contains(want, got) {
					t.Errorf("%s = %q, want one of %q", name, got, want)
				}
			}
			for _, name := range tc.absent {
				if v, ok := resp.Header[http.CanonicalHeaderKey(name)]; ok {
					t.Errorf("%s = %q, want it absent", name, v)
				}
			}
		})
	}
	t.Run("a path that only starts with a PathPrefix is not routed", func(t *testing.T) {
		resp := send(t, client, base, gatewayAPICase{path: "/cors-10", method: "GET", headers: map[string]string{"Origin": "https://www.foo.com"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /cors-10: status %d, want 404: PathPrefix /cors-1 matches whole segments", resp.StatusCode)
		}
	})
	for _, tc := range gatewayAPIRefused {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			resp := send(t, client, base, tc)
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("status %d, ACAO %q; want 404 without CORS headers: the route was not converted", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

func send(t *testing.T, client *http.Client, base string, tc gatewayAPICase) *http.Response {
	t.Helper()
	req, err := http.NewRequest(tc.method, base+tc.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range tc.headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// startServe runs crossgate serve -c file until the test ends and returns
// the base URL of its gateway listener, which it logs.
func startServe(t *testing.T, bin, file string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", file)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "gateway listening" {
				addr <- line.Addr
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("crossgate serve exited before listening:\n%s", stderr.String())
		}
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("crossgate serve did not listen within 30 s:\n%s", stderr.String())
	}
	return ""
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.yaml")
	kong := "../../importer/testdata/kong/01-basic.yml"
	tests := []cliCase{
		{"converted, config on stdout, findings on stderr", []string{"import", "kong", kong}, 0,
			`(?s)^# Converted by crossgate import kong.*routes:\n.*cors: 'orders-cors'\n$`, `info single-origin: .*\ncrossgate import: the config converted; 0 errors, 0 warnings, 1 info\n$`, nil},
		{"converted to a file, findings on stdout", []string{"import", "kong", kong, "-o", out}, 0,
			`single-origin.*\ncrossgate import: .*out\.yaml converted; 0 errors`, "", nil},
		{"json findings", []string{"import", "--format", "json", "kong", kong, "-o", out}, 0,
			`"rule": "single-origin"`, "", []string{"findings", "errors", "warnings", "infos"}},
		{"errors exit 1", []string{"import", "kong", "../../importer/testdata/kong/07-unknown-format.yml", "-o", out}, 1,
			`07-unknown-format\.yml:1:18: error format-version: _format_version "4\.0" is not one Kong reads`, "", nil},
		{"bad YAML names its line", []string{"import", "apisix", "../../importer/testdata/apisix/09-bad.yaml", "-o", out}, 1,
			`09-bad\.yaml:4:1: error invalid-input: invalid YAML`, "", nil},
		{"a missing upstream names its line", []string{"import", "apisix", "../../importer/testdata/apisix/03-missing-upstream.json", "-o", out}, 1,
			`03-missing-upstream\.json:7:20: error missing-reference: route 7 \("billing"\) names upstream "billing-v2"`, "", nil},
		{"unknown format", []string{"import", "traefik", kong}, 2, "", `unknown format "traefik": use gateway-api, apisix or kong`, nil},
		{"no file", []string{"import", "kong"}, 2, "", "name the format and at least one file", nil},
		{"missing file", []string{"import", "kong", filepath.Join(dir, "nope.yml")}, 2, "", "nope.yml", nil},
		{"bad --backend", []string{"import", "gateway-api", kong, "--backend", "nourl"}, 2, "", "want NAME=URL", nil},
	}
	runCases(t, tests)
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), "# Converted by crossgate import apisix") {
		t.Errorf("-o did not write the config: %v\n%s", err, data)
	}
}

// TestImportREADME checks that the worked examples of the README's "Coming
// from APISIX / Kong / Gateway API" show what the command prints today.
func TestImportREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "crossgate.yaml")
	t.Chdir("../../examples/import")
	for _, args := range [][]string{
		{"import", "apisix", "apisix.yaml", "--listen", "127.0.0.1:8080", "-o", out},
		{"import", "kong", "kong.yml", "--listen", "127.0.0.1:8080", "-o", out},
		{"import", "gateway-api", "httproute.yaml", "--listen", "127.0.0.1:8080", "--backend", "catalog=http://127.0.0.1:9003", "-o", out},
	} {
		var stdout, stderr strings.Builder
		run(args, &stdout, &stderr)
		cfg, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		shown := strings.Join(args[:len(args)-2], " ") + " -o crossgate.yaml\n" + strings.ReplaceAll(stdout.String(), out, "crossgate.yaml")
		if !strings.Contains(string(readme), shown) {
			t.Errorf("README does not show what crossgate %s prints:\n%s", strings.Join(args, " "), shown)
		}
		if !strings.Contains(string(readme), "$ cat crossgate.yaml\n"+string(cfg)) {
			t.Errorf("README does not show the config crossgate %s writes:\n%s", strings.Join(args, " "), cfg)
		}
	}
}

package checkagree_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/e2e"
)

// The tally of servers, printed after the run, and of the blocked requests
// on which Chrome's console message and the predicted one are the same.
var agreed, disagreed, sameMessage, otherMessage atomic.Int64

func TestMain(m *testing.M) {
	code := m.Run()
	if agreed.Load()+disagreed.Load() > 0 {
		fmt.Printf("checkagree: %d agree, %d disagree\n", agreed.Load(), disagreed.Load())
		fmt.Printf("checkagree: console messages of blocked requests: %d identical, %d differ\n", sameMessage.Load(), otherMessage.Load())
	}
	os.Exit(code)
}

// plainPages is how many http page origins share the plain servers: each
// page's servers run in order in its tab, pages run in parallel.
const plainPages = 4

// maxParallelPages bounds the tabs working at once on a small machine.
const maxParallelPages = 4

// A verdict is what one side made of a request.
type verdict struct {
	allowed bool
	// code is DevTools' CORS error name, or for a blocked request that
	// Chrome fails with a network error, the browser package's name for it.
	code string
	// readable lists the response headers the page may read, when allowed.
	readable []string
	// message is the console text (Chrome) or the predicted one (check).
	message string
	// cors reports that message is Chrome's "blocked by CORS policy" text.
	cors bool
}

func (v verdict) String() string {
	if v.allowed {
		return "allowed, readable " + strings.Join(v.readable, ",")
	}
	if v.code == "" {
		return "blocked"
	}
	return "blocked (" + v.code + ")"
}

// netErrors maps the redirect failures that Chrome reports as network
// errors, not as CORS errors, to the browser package's codes.
var netErrors = map[string]string{
	"net::ERR_TOO_MANY_REDIRECTS": string(browser.TooManyRedirects),
	"net::ERR_INVALID_REDIRECT":   string(browser.InvalidRedirect),
	"net::ERR_UNSAFE_REDIRECT":    string(browser.UnsafeRedirect),
}

func TestCheckAgreesWithChromium(t *testing.T) {
	all := servers()
	if len(all) < 40 {
		t.Fatalf("the table has %d servers, want at least 40", len(all))
	}
	b := e2e.LaunchTest(t, e2e.Options{IgnoreCertificateErrors: true})
	bin := buildCrossgate(t)

	pageHandler := http.HandlerFunc(e2e.ServePage)
	var pages []*e2e.Server
	for range plainPages {
		pages = append(pages, e2e.NewServer("app.example.test", pageHandler))
	}
	tlsPage := e2e.NewTLSServer("app.example.test", pageHandler)
	pages = append(pages, tlsPage)
	for _, p := range pages {
		t.Cleanup(p.Close)
	}

	// Every server gets its own origin (its own port), so that no
	// preflight cache entry or connection of one can serve another.
	byPage := make([][]run, len(pages))
	for i, s := range all {
		r := run{server: s, page: pages[i%plainPages]}
		start := e2e.NewServer
		if s.tls {
			r.page = tlsPage
			start = e2e.NewTLSServer
		}
		other := ""
		if s.other != nil {
			r.other = start("api2.example.test", s.other.handler(""))
			t.Cleanup(r.other.Close)
			other = r.other.URL
		}
		h := s.handler
		if h == nil {
			h = s.api.handler(other)
		}
		r.api = start("api.example.test", h)
		t.Cleanup(r.api.Close)
		n := slices.Index(pages, r.page)
		byPage[n] = append(byPage[n], r)
	}

	slots := make(chan struct{}, maxParallelPages)
	t.Run("page", func(t *testing.T) {
		for n, runs := range byPage {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				t.Parallel()
				slots <- struct{}{}
				defer func() { <-slots }()
				for _, r := range runs {
					t.Run(r.name, func(t *testing.T) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						chrome, err := r.chrome(ctx, b)
						if err != nil {
							t.Fatal(err)
						}
						check, err := r.check(ctx, bin)
						if err != nil {
							t.Fatal(err)
						}
						if chrome.allowed == check.allowed && chrome.code == check.code &&
							slices.Equal(chrome.readable, check.readable) {
							agreed.Add(1)
							t.Logf("both: %s", chrome)
							// The wording is compared where Chrome logs a
							// CORS message; it is reported, not required.
							if chrome.cors {
								if chrome.message == check.message {
									sameMessage.Add(1)
								} else {
									otherMessage.Add(1)
									t.Logf("console messages differ:\n  Chrome: %s\n  check:  %s", chrome.message, check.message)
								}
							}
							return
						}
						disagreed.Add(1)
						t.Errorf("server %q (%s %s, credentials %v, headers %q):\n  Chromium: %s\n  check:    %s\n  Chrome's console: %s\n  check's message:  %s",
							r.name, r.requestMethod(), r.api.URL+"/api", r.credentials, r.header, chrome, check, orNone(chrome.message), orNone(check.message))
					})
				}
			})
		}
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// A run is a server of the table, started, with the page that calls it.
type run struct {
	server
	page, api, other *e2e.Server
}

func (r *run) requestMethod() string {
	if r.method == "" {
		return http.MethodGet
	}
	return r.method
}

func (r *run) requestHeader() http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(r.header); i += 2 {
		h.Add(r.header[i], r.header[i+1])
	}
	return h
}

// chrome runs the request in the page with fetch().
func (r *run) chrome(ctx context.Context, b *e2e.Browser) (verdict, error) {
	req := e2e.FetchRequest{URL: r.api.URL + "/api", Method: r.method, Header: r.requestHeader()}
	if r.credentials {
		req.Credentials = "include"
	}
	res, err := b.Fetch(ctx, r.page.URL+"/", req)
	if err != nil {
		return verdict{}, err
	}
	v := verdict{allowed: res.Error == "", code: res.CorsError}
	if m, ok := res.Blocked(); ok {
		v.message, v.cors = m.Text, true
	}
	if v.allowed {
		v.readable = slices.Sorted(maps.Keys(res.Header))
		return v, nil
	}
	if v.code == "" {
		for _, q := range res.Requests {
			if q.ErrorText == "" || q.Preflight {
				continue
			}
			if c, ok := netErrors[q.ErrorText]; ok {
				v.code = c
			} else {
				v.code = q.ErrorText
			}
			v.message = q.ErrorText
			break
		}
	}
	return v, nil
}

// check predicts the verdict: over plain HTTP with the crossgate check
// command, over HTTPS (whose test certificate the command rightly refuses)
// with browser.Client, the code the command runs.
func (r *run) check(ctx context.Context, bin string) (verdict, error) {
	var res *browser.Result
	var err error
	if r.tls {
		res, err = r.checkClient(ctx)
	} else {
		res, err = r.checkCommand(ctx, bin)
	}
	if err != nil {
		return verdict{}, err
	}
	v := verdict{allowed: res.Allowed, readable: res.ExposedHeaders}
	if res.Error != nil {
		v.code, v.message = string(res.Error.Code), res.Error.Message
	}
	if v.readable == nil {
		v.readable = []string{}
	}
	return v, nil
}

func (r *run) checkCommand(ctx context.Context, bin string) (*browser.Result, error) {
	args := []string{"check", r.api.URL + "/api", "--origin", r.page.Origin, "-X", r.requestMethod(), "--json"}
	for i := 0; i+1 < len(r.header); i += 2 {
		args = append(args, "-H", r.header[i]+": "+r.header[i+1])
	}
	if r.credentials {
		args = append(args, "--credentials")
	}
	for _, s := range []*e2e.Server{r.api, r.other, r.page} {
		if s == nil {
			continue
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			return nil, err
		}
		args = append(args, "--resolve", u.Host+":127.0.0.1")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("crossgate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var res browser.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("crossgate %s: output is not a result: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return &res, nil
}

func (r *run) checkClient(ctx context.Context) (*browser.Result, error) {
	req, err := browser.NewRequest(r.api.URL+"/api", r.page.Origin, r.requestMethod(), r.requestHeader(), r.credentials)
	if err != nil {
		return nil, err
	}
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	return (&browser.Client{Transport: tr}).Do(ctx, req)
}

// loopbackTransport connects every host name to 127.0.0.1, as the browser's
// resolver rules do, and trusts the servers' self-signed test certificates.
func loopbackTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	return tr
}

// buildCrossgate builds the crossgate command into a temporary directory.
func buildCrossgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crossgate")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/crossgate/crossgate/cmd/crossgate").CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/crossgate: %v\n%s", err, out)
	}
	return bin
}

package scan_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
	"github.com/crossgate/crossgate/internal/loopback"
	"github.com/crossgate/crossgate/scan"
	"golang.org/x/net/publicsuffix"
)

const site = "https://api.example.test"

// corsServer answers every request with the CORS headers that allow
// decides, the way a hand-written server does.
func corsServer(t *testing.T, allow func(origin string) bool, credentials, vary bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		if vary {
			w.Header().Add("Vary", "Origin")
		}
		if o != "" && allow(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			if credentials {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		fmt.Fprint(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// clientFor connects every name to srv, as --resolve does.
func clientFor(srv *httptest.Server) *http.Client {
	addr := srv.Listener.Addr().String()
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
	}
}

// hostOf returns the host of an origin the way a careless parser does: up
// to the first character that is not a letter, digit, dot or dash.
func hostOf(origin string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	if i := strings.IndexFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-')
	}); i >= 0 {
		h = h[:i]
	}
	return h
}

func TestScanFindsEachClass(t *testing.T) {
	unescaped := regexp.MustCompile(`^https://api.example.test$`)
	tests := []struct {
		name        string
		allow       func(string) bool
		credentials bool
		vary        bool
		want        string // the class that must be found
		wantOrigin  string // one probe it must name
		severity    string
	}{
		{"reflects every origin", func(string) bool { return true }, true, true, scan.ClassOriginReflection, "https://evil.com", scan.High},
		{"trusts null", func(o string) bool { return o == "null" }, true, true, scan.ClassNullOrigin, "null", scan.High},
		{"checks a prefix", func(o string) bool { return strings.HasPrefix(o, site) }, true, true, scan.ClassPrefixMatch, "https://api.example.test.evil.com", scan.High},
		{"checks a suffix", func(o string) bool { return strings.HasSuffix(o, "example.test") }, false, true, scan.ClassSuffixMatch, "https://evilexample.test", scan.Medium},
		{"checks a substring", func(o string) bool { return strings.Contains(site, strings.TrimPrefix(o, "https://")) }, true, true, scan.ClassSubstringMatch, "https://xample.test", scan.High},
		{"regex with unescaped dots", unescaped.MatchString, true, true, scan.ClassUnescapedDot, "https://apixexample.test", scan.High},
		{"trusts any subdomain", func(o string) bool { return o == site || strings.HasSuffix(o, ".api.example.test") }, false, true, scan.ClassAnySubdomain, "https://evil.api.example.test", scan.Low},
		{"trusts any subdomain with credentials", func(o string) bool { return o == site || strings.HasSuffix(o, ".api.example.test") }, true, true, scan.ClassAnySubdomain, "https://evil.api.example.test", scan.High},
		{"trusts its http origin", func(o string) bool { return hostOf(o) == "api.example.test" && !strings.Contains(o, "evil") }, true, true, scan.ClassHTTPOrigin, "", scan.High},
		{"trusts its http origin without credentials", func(o string) bool { return hostOf(o) == "api.example.test" && !strings.Contains(o, "evil") }, false, true, scan.ClassHTTPOrigin, "", scan.Low},
		{"stops parsing at odd characters", func(o string) bool { return hostOf(o) == "api.example.test" }, true, true, scan.ClassSpecialCharacters, "https://api.example.test_.evil.com", scan.High},
		{"trusts a hosting site", func(o string) bool { return strings.HasSuffix(o, ".github.io") }, false, true, scan.ClassThirdParty, "https://crossgate-scan.github.io", scan.Medium},
		{"echoes its own origin without Vary", func(o string) bool { return o == site }, false, false, scan.ClassMissingVary, "", scan.Medium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := corsServer(t, tt.allow, tt.credentials, tt.vary)
			r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool {
				return f.Class == tt.want && (tt.wantOrigin == "" || f.Origin == tt.wantOrigin)
			})
			if i < 0 {
				t.Fatalf("no %s finding (origin %q) in %+v", tt.want, tt.wantOrigin, r.Findings)
			}
			f := r.Findings[i]
			if f.Severity != tt.severity || !strings.Contains(f.Evidence, "Access-Control-Allow-Origin: ") {
				t.Errorf("finding %+v: want severity %s and the response headers as evidence", f, tt.severity)
			}
			if f.Cause == "" || f.Fix == "" || len(f.Origins) == 0 || f.Origins[0] != f.Origin {
				t.Errorf("finding %+v: want a cause, a fix and its probes, Origin first", f)
			}
			for j, g := range r.Findings {
				if j != i && g.Class == f.Class {
					t.Errorf("class %s reported twice: %+v and %+v", f.Class, f, g)
				}
			}
		})
	}
}

// TestScanGroupsByCause: an endpoint that reflects every origin trusts
// every probe; that is one cause, reported once with all its probes, and
// apart from it only what has another cause and fix (here, missing Vary).
func TestScanGroupsByCause(t *testing.T) {
	srv := corsServer(t, func(string) bool { return true }, true, false)
	r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, f := range r.Findings {
		classes = append(classes, f.Class)
	}
	if want := []string{scan.ClassOriginReflection, scan.ClassMissingVary}; !slices.Equal(classes, want) {
		t.Fatalf("classes %q, want %q", classes, want)
	}
	reflection := r.Findings[0]
	if reflection.Severity != scan.High || reflection.Origin != "https://evil.com" {
		t.Errorf("reflection: severity %s, origin %s; want high, https://evil.com", reflection.Severity, reflection.Origin)
	}
	if len(reflection.Origins) != r.Probes {
		t.Errorf("reflection lists %d probes, want all %d the endpoint trusted", len(reflection.Origins), r.Probes)
	}
	for _, o := range []string{"null", "https://api.example.test.evil.com", "https://evilexample.test", "https://codepen.io"} {
		if !slices.Contains(reflection.Origins, o) {
			t.Errorf("reflection does not list the probe %s", o)
		}
	}
	if !strings.Contains(reflection.Cause, "copies any Origin") || !strings.Contains(reflection.Fix, "allow_origins") {
		t.Errorf("reflection: cause %q, fix %q", reflection.Cause, reflection.Fix)
	}
	if !strings.Contains(r.Findings[1].Fix, "Vary: Origin") {
		t.Errorf("missing-vary fix %q does not name the header", r.Findings[1].Fix)
	}
}

// TestScanGroupsAClass: two suffix-match probes make one finding.
func TestScanGroupsAClass(t *testing.T) {
	srv := corsServer(t, func(o string) bool { return strings.HasSuffix(o, "example.test") }, true, true)
	r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.Class == scan.ClassSuffixMatch })
	if i < 0 {
		t.Fatalf("no suffix-match finding in %+v", r.Findings)
	}
	if got, want := r.Findings[i].Origins, []string{"https://evilexample.test", "https://evilapi.example.test"}; !slices.Equal(got, want) {
		t.Errorf("suffix-match probes %q, want %q", got, want)
	}
}

func TestScanFindsWildcardWithCredentials(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}))
	defer srv.Close()
	r, err := scan.Scan(context.Background(), site, scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Findings, func(f scan.Finding) bool { return f.Class == scan.ClassWildcardCredentials }) {
		t.Errorf("no wildcard-credentials finding in %+v", r.Findings)
	}
	if slices.ContainsFunc(r.Findings, func(f scan.Finding) bool { return f.Class == scan.ClassOriginReflection }) {
		t.Error("a static * is reported as reflection")
	}
}

// TestScanStrictGatewayIsClean scans a Crossgate gateway running a strict
// policy: exact origins, one subdomain wildcard, one regex, credentials.
func TestScanStrictGatewayIsClean(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An upstream that reflects everything: the gateway must not let
		// that through.
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		fmt.Fprint(w, "{}")
	}))
	defer up.Close()
	cfg, err := config.Parse("strict.yaml", []byte(fmt.Sprintf(`
policies:
  strict:
    allow_origins: [https://app.example.test, https://admin.example.test, "https://*.apps.example.test"]
    allow_origin_regex: ['https://pr-[0-9]+\.preview\.example\.test']
    allow_methods: [GET, POST, PUT]
    allow_headers: [Content-Type, Authorization]
    allow_credentials: true
upstreams:
  u: {targets: [%s]}
routes:
  - {id: api, path_prefix: /, upstream: u, cors: strict}
`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(g)
	defer srv.Close()
	// The gateway really serves the policy through this client: an allowed
	// origin gets its answer.
	req, _ := http.NewRequest("GET", site+"/users", nil)
	req.Header.Set("Origin", "https://pr-7.preview.example.test")
	resp, err := clientFor(srv).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://pr-7.preview.example.test" {
		t.Fatalf("allowed origin: status %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 0 {
		t.Errorf("strict gateway: %d findings, want none: %+v", len(r.Findings), r.Findings)
	}
}

func TestScanStaticOriginNeedsNoVary(t *testing.T) {
	// The same Access-Control-Allow-Origin whatever the request's origin: a
	// cached copy is right for every origin, so no Vary is due, although the
	// value is the site's own origin.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", site)
	}))
	defer srv.Close()
	r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 0 || len(r.Unanswered) != 0 {
		t.Errorf("static origin: findings %+v, unanswered %+v; want none", r.Findings, r.Unanswered)
	}
}

func TestScanReportsUnansweredProbes(t *testing.T) {
	// A server that drops the connection of one probe, and answers the rest
	// as a strict server does.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "null" {
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Vary", "Origin")
	}))
	defer srv.Close()
	r, err := scan.Scan(context.Background(), site+"/users", scan.Options{Client: clientFor(srv)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 0 {
		t.Errorf("findings %+v, want none", r.Findings)
	}
	if len(r.Unanswered) != 1 || r.Unanswered[0].Origin != "null" || r.Unanswered[0].Error == "" {
		t.Errorf("unanswered %+v, want the null probe with its error", r.Unanswered)
	}
	u, _ := url.Parse(site)
	if want := len(scan.Probes(u)); r.Probes != want {
		t.Errorf("report counts %d probes, want %d", r.Probes, want)
	}
}

func TestScanErrors(t *testing.T) {
	stopped := "http://" + loopback.RefusedAddr(t)
	for _, target := range []string{"ftp://x", "not a url", "http://"} {
		if _, err := scan.Scan(context.Background(), target, scan.Options{}); err == nil {
			t.Errorf("Scan(%q): want an error", target)
		}
	}
	if _, err := scan.Scan(context.Background(), stopped, scan.Options{}); err == nil {
		t.Error("Scan of a stopped server: want an error")
	}
	if http.DefaultClient.CheckRedirect != nil {
		t.Error("Scan without a client changed http.DefaultClient")
	}
}

func TestProbes(t *testing.T) {
	u, _ := url.Parse("https://www.example.com/path")
	ps := scan.Probes(u)
	want := map[string]string{
		"https://evil.com":                  "origin-reflection",
		"null":                              "null-origin",
		"https://www.example.com.evil.com":  "prefix-match",
		"https://evilexample.com":           "suffix-match",
		"https://xample.com":                "substring-match",
		"https://wwwxexample.com":           "unescaped-dot",
		"https://www.exampleacom":           "unescaped-dot",
		"https://evil.www.example.com":      "any-subdomain",
		"http://www.example.com":            "http-origin",
		"https://www.example.com_.evil.com": "special-characters",
		"https://codepen.io":                "third-party",
	}
	got := map[string]string{}
	for _, p := range ps {
		if _, dup := got[p.Origin]; dup {
			t.Errorf("probe %q twice", p.Origin)
		}
		got[p.Origin] = p.Class
	}
	for origin, class := range want {
		if got[origin] != class {
			t.Errorf("probe %q: class %q, want %q", origin, got[origin], class)
		}
	}
	if len(ps) < 40 {
		t.Errorf("%d probes, want at least 40", len(ps))
	}
}

// TestProbesForAddresses: for an IP address or localhost, every probe is a
// name someone can register under a public suffix (or null, or the site's
// http:// twin): none of the names built by cutting or extending the host,
// which no one can own.
func TestProbesForAddresses(t *testing.T) {
	for _, site := range []string{"http://127.0.0.1:8080/api", "https://[::1]:8443/", "http://localhost:3000/", "https://intranet/"} {
		t.Run(site, func(t *testing.T) {
			u, _ := url.Parse(site)
			ps := scan.Probes(u)
			classes := map[string]bool{}
			for _, p := range ps {
				classes[p.Class] = true
				if p.Origin == "null" || p.Class == scan.ClassHTTPOrigin {
					continue
				}
				host := p.Origin[strings.Index(p.Origin, "://")+3:]
				if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
					host = host[:i]
				}
				tld := host[strings.LastIndexByte(host, '.')+1:]
				if _, icann := publicsuffix.PublicSuffix(tld); !icann || tld == host {
					t.Errorf("probe %s (%s): %q is no name anyone can register", p.Origin, p.Class, host)
				}
			}
			want := []string{scan.ClassOriginReflection, scan.ClassNullOrigin, scan.ClassThirdParty}
			if u.Hostname() != "::1" {
				// Host names and IPv4 addresses can start a longer name.
				want = append(want, scan.ClassPrefixMatch, scan.ClassSpecialCharacters)
			}
			for _, c := range want {
				if !classes[c] {
					t.Errorf("no %s probe", c)
				}
			}
		})
	}
}

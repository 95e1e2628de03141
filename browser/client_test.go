package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/browser"
	"github.com/crossgate/crossgate/cors"
)

// fakeServers answers each request from the handler registered for its
// "METHOD URL", without a network, and records what it was sent.
type fakeServers struct {
	routes map[string]*http.Response
	sent   []*http.Request
}

func (f *fakeServers) RoundTrip(r *http.Request) (*http.Response, error) {
	f.sent = append(f.sent, r)
	resp, ok := f.routes[r.Method+" "+r.URL.String()]
	if !ok {
		return nil, errors.New("connection refused")
	}
	out := *resp
	out.Body = http.NoBody
	return &out, nil
}

func TestClientDo(t *testing.T) {
	allowPut := response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-foo")
	tests := []struct {
		name       string
		method     string
		header     http.Header
		routes     map[string]*http.Response
		wantSent   []string
		wantOrigin []string
		wantCode   browser.Code
		wantErr    string
	}{
		{
			name:     "simple GET",
			method:   "GET",
			routes:   map[string]*http.Response{"GET " + api: response(200, "Access-Control-Allow-Origin", "*")},
			wantSent: []string{"GET " + api},
		},
		{
			name:   "preflighted PUT",
			method: "PUT", header: header("X-Foo", "1"),
			routes: map[string]*http.Response{
				"OPTIONS " + api: allowPut,
				"PUT " + api:     response(200, "Access-Control-Allow-Origin", page),
			},
			wantSent: []string{"OPTIONS " + api, "PUT " + api},
		},
		{
			name:   "actual response without CORS headers",
			method: "PUT", header: header("X-Foo", "1"),
			routes: map[string]*http.Response{
				"OPTIONS " + api: allowPut,
				"PUT " + api:     response(500),
			},
			wantSent: []string{"OPTIONS " + api, "PUT " + api},
			wantCode: browser.MissingAllowOriginHeader,
		},
		{
			name:     "refused preflight stops the request",
			method:   "DELETE",
			routes:   map[string]*http.Response{"OPTIONS " + api: response(403)},
			wantSent: []string{"OPTIONS " + api},
			wantCode: browser.PreflightMissingAllowOriginHeader,
		},
		{
			name:   "redirect needs a new preflight, with Origin null after leaving a foreign origin",
			method: "PUT", header: header("X-Foo", "1"),
			routes: map[string]*http.Response{
				"OPTIONS " + api:            allowPut,
				"PUT " + api:                response(307, "Location", originB+"/2", "Access-Control-Allow-Origin", page),
				"OPTIONS " + originB + "/2": response(204, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "*"),
				"PUT " + originB + "/2":     response(307, "Location", originC+"/3", "Access-Control-Allow-Origin", "*"),
				"OPTIONS " + originC + "/3": response(204, "Access-Control-Allow-Origin", "null", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "X-Foo"),
				"PUT " + originC + "/3":     response(200, "Access-Control-Allow-Origin", "null"),
			},
			wantSent:   []string{"OPTIONS " + api, "PUT " + api, "OPTIONS " + originB + "/2", "PUT " + originB + "/2", "OPTIONS " + originC + "/3", "PUT " + originC + "/3"},
			wantOrigin: []string{page, page, "null", "null", "null", "null"},
		},
		{
			name:     "redirect loop",
			method:   "GET",
			routes:   map[string]*http.Response{"GET " + api: response(302, "Location", api, "Access-Control-Allow-Origin", "*")},
			wantSent: []string{"GET " + api},
			wantCode: browser.TooManyRedirects,
		},
		{
			name:     "network error",
			method:   "GET",
			routes:   map[string]*http.Response{},
			wantSent: []string{"GET " + api},
			wantErr:  "connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := &fakeServers{routes: tt.routes}
			c := &browser.Client{Transport: servers}
			res, err := c.Do(context.Background(), newRequest(t, api, page, tt.method, tt.header, false))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Do error = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if tt.name == "redirect loop" {
				tt.wantSent = nil
				for range browser.MaxRedirects + 1 {
					tt.wantSent = append(tt.wantSent, "GET "+api)
				}
			}
			var sent []string
			for _, r := range servers.sent {
				sent = append(sent, r.Method+" "+r.URL.String())
			}
			if strings.Join(sent, "\n") != strings.Join(tt.wantSent, "\n") {
				t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(sent, "\n"), strings.Join(tt.wantSent, "\n"))
			}
			for i, o := range tt.wantOrigin {
				if got := servers.sent[i].Header.Get("Origin"); got != o {
					t.Errorf("request %d Origin = %q; want %q", i, got, o)
				}
			}
			var got browser.Code
			if res.Error != nil {
				got = res.Error.Code
			}
			if got != tt.wantCode || res.Allowed != (tt.wantCode == "") {
				t.Errorf("Allowed %v, code %q; want code %q", res.Allowed, got, tt.wantCode)
			}
			if len(res.Exchanges) != len(sent) {
				t.Errorf("%d exchanges recorded for %d requests", len(res.Exchanges), len(sent))
			}
			if (res.Preflight != nil) != strings.HasPrefix(tt.wantSent[0], "OPTIONS") {
				t.Errorf("Preflight = %+v", res.Preflight)
			}
		})
	}
}

// TestClientAgainstPolicy checks Crossgate's own middleware the way a
// browser does, over a loopback server.
func TestClientAgainstPolicy(t *testing.T) {
	p, err := cors.New(cors.Config{
		AllowOrigins:     []string{page},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"Content-Type", "Authorization"},
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "42")
		w.Header().Set("X-Internal", "secret")
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()

	tests := []struct {
		name        string
		origin      string
		method      string
		header      http.Header
		wantAllowed bool
		wantCode    browser.Code
	}{
		{name: "allowed credentialed PUT", origin: page, method: "PUT", header: header("Content-Type", "application/json", "Authorization", "Bearer t"), wantAllowed: true},
		{name: "header not allowed: refused preflight has no CORS headers", origin: page, method: "PUT", header: header("X-Foo", "1"), wantCode: browser.PreflightMissingAllowOriginHeader},
		{name: "method not allowed", origin: page, method: "DELETE", wantCode: browser.PreflightMissingAllowOriginHeader},
		{name: "other origin", origin: "https://evil.example", method: "GET", wantCode: browser.MissingAllowOriginHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, srv.URL+"/items", tt.origin, tt.method, tt.header, true)
			res, err := (&browser.Client{Transport: srv.Client().Transport}).Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var got browser.Code
			if res.Error != nil {
				got = res.Error.Code
			}
			if res.Allowed != tt.wantAllowed || got != tt.wantCode {
				t.Fatalf("Allowed %v, code %q; want %v, %q (%+v)", res.Allowed, got, tt.wantAllowed, tt.wantCode, res.Error)
			}
			if res.Allowed {
				exposed := strings.Join(res.ExposedHeaders, ",")
				if !strings.Contains(exposed, "X-Request-Id") || strings.Contains(exposed, "X-Internal") {
					t.Errorf("ExposedHeaders = %s; want X-Request-Id and not X-Internal", exposed)
				}
			}
		})
	}
}

// TestResultJSON pins the fields crossgate check --json prints.
func TestResultJSON(t *testing.T) {
	servers := &fakeServers{routes: map[string]*http.Response{"OPTIONS " + api: response(404)}}
	res, err := (&browser.Client{Transport: servers}).Do(context.Background(), newRequest(t, api, page, "PUT", nil, true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"url", "origin", "method", "credentials", "preflight", "actual", "allowed", "error"} {
		if _, ok := got[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, b)
		}
	}
	if got["actual"] != nil || got["allowed"] != false || got["credentials"] != true {
		t.Errorf("actual %v, allowed %v, credentials %v", got["actual"], got["allowed"], got["credentials"])
	}
	preflight, _ := got["preflight"].(map[string]any)
	if preflight["status"] != float64(404) || preflight["headers"] == nil {
		t.Errorf("preflight = %v; want status 404 and headers", preflight)
	}
	e, _ := got["error"].(map[string]any)
	for _, key := range []string{"code", "message", "cause", "fix"} {
		if s, _ := e[key].(string); s == "" {
			t.Errorf("error.%s is empty: %s", key, b)
		}
	}
	if e["code"] != "PreflightMissingAllowOriginHeader" {
		t.Errorf("error.code = %v", e["code"])
	}
}

// TestClientWarnsWhenStarCoversAuthorization: Chrome lets "*" cover
// Authorization; the standard does not, so the client allows the request
// as Chrome would and says why it may fail elsewhere.
func TestClientWarnsWhenStarCoversAuthorization(t *testing.T) {
	tests := []struct {
		name string
		acah string
		warn bool
	}{
		{"star alone", "*", true},
		{"star and Authorization listed", "*, Authorization", false},
		{"Authorization listed", "authorization", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServers{routes: map[string]*http.Response{
				"OPTIONS " + api: response(204, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", tt.acah),
				"GET " + api:     response(200, "Access-Control-Allow-Origin", page),
			}}
			req, err := browser.NewRequest(api, page, "GET", header("Authorization", "Bearer x"), false)
			if err != nil {
				t.Fatal(err)
			}
			res, err := (&browser.Client{Transport: f}).Do(context.Background(), req)
			if err != nil || !res.Allowed {
				t.Fatalf("Do = %+v, %v; want allowed", res, err)
			}
			if got := len(res.Warnings) > 0; got != tt.warn {
				t.Errorf("warnings %q, want a warning: %v", res.Warnings, tt.warn)
			}
			if tt.warn && !strings.Contains(res.Warnings[0], "Authorization") {
				t.Errorf("warning does not name Authorization: %q", res.Warnings[0])
			}
		})
	}
}

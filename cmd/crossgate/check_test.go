package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/gateway"
)

// TestCheckNamesTheGatewaysReason checks a request against a Crossgate
// gateway that refuses its preflight: the cause names the setting.
func TestCheckNamesTheGatewaysReason(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	cfg, err := config.Parse("t.yaml", []byte("policies: {web: {allow_origins: [https://app.example.test], allow_methods: [PUT]}}\nupstreams: {u: {targets: ["+up.URL+"]}}\nroutes: [{id: r, path_prefix: /, upstream: u, cors: web}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	defer gw.Close()
	args := []string{"check", gw.URL + "/x", "--origin", "https://app.example.test", "-X", "PUT", "-H", "X-Debug: 1"}
	const cause = "Crossgate refused the preflight: the request header x-debug is not in the route policy's allow_headers."
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	if want := "Cause: " + cause; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}

	stdout.Reset()
	if code := run(append(args, "--json"), &stdout, &stderr); code != 1 {
		t.Fatalf("--json: exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	var res struct {
		Error struct{ Cause string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout.String())
	}
	if res.Error.Cause != cause {
		t.Errorf("--json: cause %q, want %q", res.Error.Cause, cause)
	}
}

func TestCheck(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "https://app.example.test" {
			w.Header().Set("Access-Control-Allow-Origin", "https://app.example.test")
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
		}
		if r.Method == "OPTIONS" {
			w.WriteHeader(204)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer api.Close()
	port := api.URL[strings.LastIndexByte(api.URL, ':')+1:]
	named := "http://api.example.test:" + port + "/users"
	resolve := "api.example.test:" + port + ":127.0.0.1"
	har := filepath.Join(t.TempDir(), "x.har")
	os.WriteFile(har, []byte(`{"log":{"entries":[{"request":{"method":"GET","url":"https://api.example.test/x","headers":[{"name":"Origin","value":"https://app.example.test"}]},"response":{"status":200,"headers":[]}}]}}`), 0o600)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   string
		jsonCode string // error.code in --json output, "-" for none
	}{
		{"allowed simple request", []string{"check", named, "--resolve", resolve, "--origin", "https://app.example.test"}, 0,
			[]string{"> GET " + named, "ALLOWED"}, "", ""},
		{"allowed preflighted PUT", []string{"check", "-X", "PUT", "-H", "Content-Type: application/json", "--origin", "https://app.example.test", "--resolve", resolve, named}, 1,
			[]string{"(preflight)", "HeaderDisallowedByPreflightResponse", "Request header field content-type is not allowed", "allow_headers:"}, "", ""},
		{"refused origin", []string{"check", named, "--resolve", resolve, "--origin", "https://evil.test"}, 1,
			[]string{"BLOCKED (MissingAllowOriginHeader)", "Chrome:  Access to fetch at", "Firefox: Cross-Origin Request Blocked", "Cause:", "Fix:"}, "", ""},
		{"--json", []string{"check", "--json", named, "--resolve", resolve, "--origin", "https://evil.test"}, 1, nil, "", "MissingAllowOriginHeader"},
		{"--json when allowed", []string{"check", "--json", named, "--resolve", resolve, "--origin", "https://app.example.test"}, 0, nil, "", "-"},
		{"missing --origin", []string{"check", named}, 2, nil, "--origin is required", ""},
		{"bad header flag", []string{"check", named, "--origin", "https://a.test", "-H", "nocolon"}, 2, nil, "Name: value", ""},
		{"forbidden header", []string{"check", named, "--origin", "https://a.test", "-H", "Cookie: a=1"}, 2, nil, "", ""},
		{"non-canonical origin", []string{"check", named, "--origin", "https://A.test/"}, 2, nil, "", ""},
		{"unreachable host", []string{"check", "http://127.0.0.1:1/", "--origin", "https://a.test"}, 2, nil, "could not check", ""},
		{"HAR export", []string{"check", "--har", har}, 1, []string{"1 cross-origin requests, 1 blocked", "BLOCKED  GET https://api.example.test/x", "MissingAllowOriginHeader"}, "", ""},
		{"missing HAR file", []string{"check", "--har", filepath.Join(t.TempDir(), "none.har")}, 2, nil, "no such file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.jsonCode != "" {
				var out struct {
					URL, Origin, Method string
					Credentials         *bool
					Preflight, Actual   any
					Allowed             *bool
					Error               *struct{ Code, Message, Cause, Fix string }
				}
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, stdout.String())
				}
				if out.URL == "" || out.Origin == "" || out.Method == "" || out.Credentials == nil || out.Allowed == nil || out.Actual == nil {
					t.Errorf("JSON lacks a field of the design: %s", stdout.String())
				}
				switch {
				case tt.jsonCode == "-" && out.Error != nil:
					t.Errorf("error = %+v, want none", out.Error)
				case tt.jsonCode != "-" && (out.Error == nil || out.Error.Code != tt.jsonCode || out.Error.Message == "" || out.Error.Cause == "" || out.Error.Fix == ""):
					t.Errorf("error = %+v, want code %s with message, cause and fix", out.Error, tt.jsonCode)
				}
			}
		})
	}
}

package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/cors"
)

// designExample is the example of DESIGN.md, verbatim.
const designExample = `listen: 127.0.0.1:8080
tls: {cert_file: cert.pem, key_file: key.pem}      # optional: HTTPS and HTTP/2
admin:
  listen: 127.0.0.1:9180                            # /metrics, /healthz, Admin API, UI
  keys: [{name: ops, key: "${CROSSGATE_ADMIN_KEY}", role: admin}]   # role: admin | viewer

policies:                     # named CORS policies, shared by routes
  web:
    allow_origins: [https://app.example.com, "https://*.example.com"]
    allow_origin_regex: ['https://pr-[0-9]+\.preview\.example\.com']
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, Authorization]
    expose_headers: [X-Request-Id]
    allow_credentials: true
    max_age: 7200
    allow_private_network: false
    timing_allow_origin: false
    preflight_status: 204
    enforce_origin: false     # true: a request whose Origin is refused gets 403, upstream untouched
    mode: gateway             # gateway | upstream | shadow (see below)

upstreams:
  users: {targets: [http://127.0.0.1:9001, http://127.0.0.1:9002], timeout: 30s}

routes:
  - id: users
    hosts: [api.example.com]  # optional
    path_prefix: /users/      # or ` + "`path:`" + ` for an exact path
    methods: [GET, POST, PUT] # optional; preflights are answered regardless
    strip_prefix: false
    upstream: users
    cors: web                 # a policy name, an inline policy mapping, or ` + "`off`" + `
    csrf: {mode: fetch-metadata}   # see csrf

defaults:
  cors: web                   # for routes that say nothing
`

func TestParseDesignExample(t *testing.T) {
	t.Setenv("CROSSGATE_ADMIN_KEY", "k3y-from-the-environment")
	c, err := config.Parse("crossgate.yaml", []byte(designExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	web := &config.Policy{
		AllowOrigins:     []string{"https://app.example.com", "https://*.example.com"},
		AllowOriginRegex: []string{`https://pr-[0-9]+\.preview\.example\.com`},
		AllowMethods:     []string{"GET", "POST", "PUT", "DELETE"},
		AllowHeaders:     []string{"Content-Type", "Authorization"},
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           7200,
		PreflightStatus:  204,
		Mode:             config.ModeGateway,
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, "127.0.0.1:8080"},
		{"tls", c.TLS, &config.TLS{CertFile: "cert.pem", KeyFile: "key.pem"}},
		{"admin", c.Admin, &config.Admin{Listen: "127.0.0.1:9180", Keys: []*config.AdminKey{{Name: "ops", Key: "k3y-from-the-environment", Role: config.RoleAdmin}}}},
		{"policies", c.Policies, map[string]*config.Policy{"web": web}},
		{"upstreams", c.Upstreams, map[string]*config.Upstream{"users": {
			Targets: []string{"http://127.0.0.1:9001", "http://127.0.0.1:9002"}, Timeout: 30 * time.Second,
			Retries: 1, MaxFails: 1, FailTimeout: 10 * time.Second,
		}}},
		{"routes", c.Routes, []*config.Route{{
			ID:         "users",
			Hosts:      []string{"api.example.com"},
			PathPrefix: "/users/",
			Methods:    []string{"GET", "POST", "PUT"},
			Upstream:   "users",
			CORS:       &config.PolicyRef{Name: "web"},
			CSRF:       &config.CSRF{Mode: config.CSRFFetchMetadata},
		}}},
		{"defaults", c.Defaults, config.Defaults{CORS: &config.PolicyRef{Name: "web"}}},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %s, want %s", tc.name, dump(tc.got), dump(tc.want))
		}
	}
	if c.Revision == "" {
		t.Error("Revision is empty")
	}
	if _, err := cors.New(c.Policies["web"].CORSConfig()); err != nil {
		t.Errorf("cors.New(CORSConfig()): %v", err)
	}
	if got := c.Policies["web"].CORSConfig().MaxAge; got != 2*time.Hour {
		t.Errorf("CORSConfig().MaxAge = %v, want 2h", got)
	}
}

// dump shows pointers' targets, which %v does not.
func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func TestParseErrors(t *testing.T) {
	t.Setenv("CROSSGATE_TEST_SET", "set")
	tests := []struct {
		name string
		yaml string
		want []string // every error, in order, FILE:LINE:COL: message
	}{
		{
			name: "unknown key with a suggestion",
			yaml: `policies:
  web:
    alow_origins: [https://app.example.com]
`,
			want: []string{`f.yaml:3:5: unknown key "alow_origins" in policy "web"; did you mean "allow_origins"?`},
		},
		{
			name: "unknown key without a near one",
			yaml: `listen: 127.0.0.1:8080
frobnicate: 1
`,
			want: []string{`f.yaml:2:1: unknown key "frobnicate" in the config; valid keys: admin, defaults, limits, listen, metrics, policies, routes, tls, upstreams`},
		},
		{
			name: "unknown key in a route",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes:
  - {id: r, path: /, upstream: a, timeout: 3s}
`,
			want: []string{`f.yaml:3:35: unknown key "timeout" in route "r"; valid keys: cors, csrf, hosts, id, max_body_bytes, methods, path, path_prefix, strip_prefix, upstream`},
		},
		{
			name: "type errors say what was expected",
			yaml: `policies:
  web:
    allow_origins: https://app.example.com
    allow_credentials: yes
    max_age: 2 hours
upstreams:
  a: {targets: ["http://127.0.0.1:1"], timeout: 30}
routes: {id: r}
`,
			want: []string{
				`f.yaml:3:20: policy "web": allow_origins: expected a list of strings, got "https://app.example.com"`,
				`f.yaml:4:24: policy "web": allow_credentials: expected true or false, got "yes"`,
				`f.yaml:5:14: policy "web": max_age: expected seconds (7200) or a duration such as "2h", got "2 hours"`,
				`f.yaml:7:49: upstream "a": timeout: expected a duration such as "30s" or "1m30s", got "30"`,
				`f.yaml:8:9: routes: expected a list, got a mapping`,
			},
		},
		{
			name: "metrics per_route other than auto, on or off",
			yaml: `metrics: {per_route: sometimes}
`,
			want: []string{`f.yaml:1:22: metrics: per_route "sometimes" is not auto, on or off`},
		},
		{
			name: "cors that is neither a name, a mapping nor off",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes:
  - id: r
    path: /
    upstream: a
    cors: [web]
`,
			want: []string{`f.yaml:6:11: route "r": cors: expected a policy name, an inline policy mapping, or off, got a list`},
		},
		{
			name: "undefined environment variable",
			yaml: `admin:
  listen: 127.0.0.1:9180
  keys:
    - {name: ops, role: admin, key: "${CROSSGATE_TEST_UNSET}"}
`,
			want: []string{`f.yaml:4:37: environment variable CROSSGATE_TEST_UNSET is not set; set it, or write ${CROSSGATE_TEST_UNSET:-default}`},
		},
		{
			name: "an unset variable is its value's only error",
			yaml: `listen: "127.0.0.1:${CROSSGATE_TEST_UNSET}"
policies:
  web:
    allow_origins: [https://app.example.com]
    allow_credentials: "${CROSSGATE_TEST_UNSET}"
    max_age: ${CROSSGATE_TEST_UNSET}
`,
			want: []string{
				`f.yaml:1:9: environment variable CROSSGATE_TEST_UNSET is not set; set it, or write ${CROSSGATE_TEST_UNSET:-default}`,
				`f.yaml:5:24: environment variable CROSSGATE_TEST_UNSET is not set; set it, or write ${CROSSGATE_TEST_UNSET:-default}`,
				`f.yaml:6:14: environment variable CROSSGATE_TEST_UNSET is not set; set it, or write ${CROSSGATE_TEST_UNSET:-default}`,
			},
		},
		{
			name: "integers out of range say so",
			yaml: `policies:
  web:
    allow_origins: [https://app.example.com]
    max_age: 99999999999
    preflight_status: 99999999999999999999
`,
			want: []string{
				`f.yaml:4:14: policy "web": max_age 99999999999 is not from -1 (no caching) to 86400 seconds; browsers cap it anyway (Chrome at 7200)`,
				`f.yaml:5:23: policy "web": preflight_status: 99999999999999999999 is too large`,
			},
		},
		{
			name: "malformed substitutions",
			yaml: `listen: "${CROSSGATE_TEST_SET"
admin: {listen: "127.0.0.1:${1PORT}"}
`,
			want: []string{
				`f.yaml:1:9: unterminated ${ in "${CROSSGATE_TEST_SET"; close it with }, or write $$ for a literal $`,
				`f.yaml:2:17: ${1PORT}: "1PORT" is not a variable name (letters, digits and _, not starting with a digit)`,
			},
		},
		{
			name: "undefined references, with suggestions",
			yaml: `policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  users: {targets: ["http://127.0.0.1:9001"]}
routes:
  - id: users
    path_prefix: /users/
    upstream: userz
    cors: wbe
  - id: other
    path: /other
    upstream: users
    cors: nothing-like-it
defaults:
  cors: webb
`,
			want: []string{
				`f.yaml:8:15: route "users": upstream "userz" is not defined; did you mean "users"?`,
				`f.yaml:9:11: route "users": cors: policy "wbe" is not defined; did you mean "web"?`,
				`f.yaml:13:11: route "other": cors: policy "nothing-like-it" is not defined`,
				`f.yaml:15:9: defaults: cors: policy "webb" is not defined; did you mean "web"?`,
			},
		},
		{
			name: "cors errors point at the list element",
			yaml: `policies:
  web:
    allow_credentials: true
    allow_origins:
      - https://a.example.com
      - https://b.example.com
      - http://c.example.com
    allow_methods: [GET, TRACE]
`,
			want: []string{
				`f.yaml:7:9: policy "web": allow_origins[2] "http://c.example.com": an http:// origin with allow_credentials lets anyone on its network path read credentialed responses; use https, or set dangerously_allow_insecure_origins`,
				`f.yaml:8:26: policy "web": allow_methods[1] "TRACE": browsers never send TRACE; remove it`,
			},
		},
		{
			name: "cors errors of scalar settings and of a missing list",
			yaml: `policies:
  web:
    max_age: 90000
    preflight_status: 302
`,
			want: []string{
				`f.yaml:2:3: policy "web": allow_origins: no origin is allowed; list at least one origin in allow_origins or allow_origin_regex`,
				`f.yaml:3:14: policy "web": max_age 90000 is not from -1 (no caching) to 86400 seconds; browsers cap it anyway (Chrome at 7200)`,
				`f.yaml:4:23: policy "web": preflight_status 302: browsers accept a preflight answer only with a 2xx status; use 204 or 200`,
			},
		},
		{
			name: "inline policy errors",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes:
  - id: r
    path: /
    upstream: a
    cors:
      allow_origins: ["https://*.com", "https://app.example.com/"]
`,
			want: []string{
				`f.yaml:7:23: route "r": cors: allow_origins[0] "https://*.com": "com" is a public suffix, so anyone can register a subdomain of it; list your own domains ("https://*.yourdomain.com"), or set dangerously_allow_public_suffix_wildcards`,
				`f.yaml:7:40: route "r": cors: allow_origins[1] "https://app.example.com/": an origin has no path, query or trailing slash; write "https://app.example.com"`,
			},
		},
		{
			name: "modes",
			yaml: `policies:
  a: {allow_origins: [https://app.example.com], mode: shadow, enforce_origin: true}
  b: {allow_origins: [https://app.example.com], mode: proxy}
  off: {allow_origins: [https://app.example.com]}
`,
			want: []string{
				`f.yaml:2:79: policy "a": enforce_origin needs mode gateway: in mode shadow the upstream owns CORS`,
				`f.yaml:3:55: policy "b": mode "proxy" is not gateway, upstream or shadow`,
				`f.yaml:4:3: a policy cannot be named "off": "cors: off" turns CORS off on a route`,
			},
		},
		{
			name: "routes",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes:
  - {id: both, path: /x, path_prefix: /y, upstream: a}
  - {id: neither, upstream: a}
  - {id: relative, path_prefix: api/, upstream: a}
  - {id: strip, path: /x, strip_prefix: true, upstream: a}
  - {id: both, path: /z, upstream: a}
  - {path: /w, upstream: a, hosts: ["https://api.example.com"], methods: [get, GET, "GE T"]}
`,
			want: []string{
				`f.yaml:3:39: route "both": path and path_prefix exclude each other; keep one`,
				`f.yaml:4:5: route "neither": path or path_prefix is required`,
				`f.yaml:5:33: route "relative": path_prefix "api/" must start with /`,
				`f.yaml:6:41: route "strip": strip_prefix needs path_prefix`,
				`f.yaml:7:10: route "both": id is already used by route 1 (line 3)`,
				`f.yaml:8:5: route 6: id is required: it names the route in metrics, logs and the Admin API`,
				`f.yaml:8:37: route 6: host "https://api.example.com" is not a host name or IP address (no scheme, port or path)`,
				`f.yaml:8:75: route 6: methods are case-sensitive and clients send GET in upper case; write "GET"`,
				`f.yaml:8:85: route 6: "GE T" is not a method name`,
			},
		},
		{
			name: "upstreams",
			yaml: `upstreams:
  a: {targets: [ftp://x.example.com, "http://", "http://u:p@127.0.0.1:1", "http://127.0.0.1:1/?q"], timeout: 0s}
  b: {targets: []}
  c: {timeout: -1s}
  d: {targets: [127.0.0.1:9001, localhost:9001]}
`,
			want: []string{
				`f.yaml:2:17: upstream "a": target "ftp://x.example.com" must be an absolute http:// or https:// URL`,
				`f.yaml:2:38: upstream "a": target "http://" has no host`,
				`f.yaml:2:49: upstream "a": target "http://u:p@127.0.0.1:1" must not carry credentials; the gateway forwards the client's own`,
				`f.yaml:2:75: upstream "a": target "http://127.0.0.1:1/?q" must not have a query or fragment`,
				`f.yaml:2:110: upstream "a": timeout must be positive, such as 30s`,
				`f.yaml:3:7: upstream "b": at least one target is required, such as http://127.0.0.1:9001`,
				`f.yaml:4:3: upstream "c": at least one target is required, such as http://127.0.0.1:9001`,
				`f.yaml:4:16: upstream "c": timeout must be positive, such as 30s`,
				`f.yaml:5:17: upstream "d": target "127.0.0.1:9001" has no scheme: write "http://127.0.0.1:9001" (or https://)`,
				`f.yaml:5:33: upstream "d": target "localhost:9001" has no scheme: write "http://localhost:9001" (or https://)`,
			},
		},
		{
			name: "upstream failover",
			yaml: `upstreams:
  a: {targets: ["http://127.0.0.1:1"], retries: -1, max_fails: 1001, fail_timeout: 0s}
  b:
    targets: ["http://127.0.0.1:1"]
    retries: one
    health_check: {interval: 10ms, timeout: 0s, fails: 0, passes: 1001}
  c: {targets: ["http://127.0.0.1:1"], health_check: {path: healthz}}
  d: {targets: ["http://127.0.0.1:1"], health_check: {path: "//other.example/healthz", interval: 1m, tries: 3}}
  e: {targets: ["http://127.0.0.1:1"], max_fails: 0, fail_timeout: 0s, health_check: {path: "/health check"}}
`,
			want: []string{
				`f.yaml:2:49: upstream "a": retries must be between 0 (off) and 100, such as 1`,
				`f.yaml:2:64: upstream "a": max_fails must be between 0 (passive health off) and 1000, such as 1`,
				`f.yaml:2:84: upstream "a": fail_timeout must be positive, such as 10s, while max_fails is not 0`,
				`f.yaml:5:14: upstream "b": retries: expected an integer, got "one"`,
				`f.yaml:6:5: upstream "b": health_check: path is required, such as /healthz`,
				`f.yaml:6:30: upstream "b": health_check: interval must be at least 100ms, such as 5s`,
				`f.yaml:6:45: upstream "b": health_check: timeout must be positive, such as 2s`,
				`f.yaml:6:56: upstream "b": health_check: fails must be between 1 and 1000, such as 1`,
				`f.yaml:6:67: upstream "b": health_check: passes must be between 1 and 1000, such as 1`,
				`f.yaml:7:61: upstream "c": health_check: path "healthz" must start with /`,
				`f.yaml:8:61: upstream "d": health_check: path "//other.example/healthz" is not a request path, such as /healthz?full=1`,
				`f.yaml:8:102: unknown key "tries" in upstream "d": health_check; valid keys: fails, interval, passes, path, timeout`,
				`f.yaml:9:93: upstream "e": health_check: path "/health check" is not a request path, such as /healthz?full=1`,
			},
		},
		{
			name: "listeners, admin and tls",
			yaml: `listen: "8080"
tls: {cert_file: cert.pem}
admin:
  listen: 0.0.0.0:9180
  keys:
    - {name: ops, key: short, role: root}
`,
			want: []string{
				`f.yaml:1:9: listen: "8080" is not host:port; write e.g. 127.0.0.1:8080, or :8080 for every interface`,
				`f.yaml:2:1: tls: key_file is required with cert_file`,
				`f.yaml:6:24: admin key 1: key is shorter than 16 bytes; generate one with: openssl rand -hex 32`,
				`f.yaml:6:37: admin key 1: role "root" is not admin or viewer`,
			},
		},
		{
			name: "admin reachable from other machines without keys",
			yaml: `admin: {listen: ":9180"}
`,
			want: []string{`f.yaml:1:17: admin: listen: ":9180" is reachable from other machines, so the Admin API needs keys; add admin.keys or listen on 127.0.0.1`},
		},
		{
			name: "limits out of range",
			yaml: `limits: {max_header_bytes: 100, max_connections: -2}
`,
			want: []string{
				`f.yaml:1:28: limits: max_header_bytes: 100 is outside 1024..1048576 bytes; the default, 65536 (64 KiB), fits browsers' cookies and tokens`,
				`f.yaml:1:50: limits: max_connections: -2; give a number of connections, 0 to derive it from the descriptor limit, or -1 for none`,
			},
		},
		{
			name: "admin on the gateway's port",
			yaml: `listen: 127.0.0.1:8080
admin: {listen: "127.0.0.1:8080"}
`,
			want: []string{`f.yaml:2:17: admin: listen: "127.0.0.1:8080" takes the gateway's own port (listen: 127.0.0.1:8080); give the admin listener a port of its own, such as 127.0.0.1:9180`},
		},
		{
			name: "admin keys sharing a name or a secret",
			yaml: `admin:
  listen: 127.0.0.1:9180
  keys:
    - {name: ops, key: 0123456789abcdef, role: admin}
    - {name: ops, key: 0123456789abcdef, role: viewer}
    - {name: ops, key: 0123456789abcdef, role: viewer}
`,
			want: []string{
				`f.yaml:5:14: admin key 2: name "ops" is already used by admin key 1`,
				`f.yaml:5:24: admin key 2: key is the same as admin key 1's; give each holder their own`,
				`f.yaml:6:14: admin key 3: name "ops" is already used by admin key 1`,
				`f.yaml:6:24: admin key 3: key is the same as admin key 1's; give each holder their own`,
			},
		},
		{
			name: "csrf",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes:
  - {id: r1, path: /1, upstream: a, csrf: {mode: tokens}}
  - {id: r2, path: /2, upstream: a, csrf: {mode: fetch-metadata, secret: "0123456789abcdef0123456789abcdef"}}
  - {id: r3, path: /3, upstream: a, csrf: {mode: token, secret: short, exempt_paths: [hooks/]}}
`,
			want: []string{
				`f.yaml:3:50: route "r1": csrf: mode "tokens" is not fetch-metadata, token or both`,
				`f.yaml:4:74: route "r2": csrf: secret is used only by modes token and both`,
				`f.yaml:5:65: route "r3": csrf: secret is shorter than 32 bytes; generate one with: openssl rand -hex 32`,
				`f.yaml:5:87: route "r3": csrf: exempt path "hooks/" must start with /`,
			},
		},
		{
			name: "a type error is not reported again as a missing value",
			yaml: `upstreams: {a: {targets: ["http://127.0.0.1:1"]}}
routes: [{id: r, path: /, upstream: [a]}]
`,
			want: []string{`f.yaml:2:37: route "r": upstream: expected a string, got a list`},
		},
		{
			name: "merge keys that merge themselves or a scalar",
			yaml: `policies:
  p: &p
    <<: *p
  q: {<<: [1], allow_origins: [https://app.example.com]}
`,
			want: []string{
				`f.yaml:3:5: merge keys (<<) nested more than 16 deep, or merging a mapping into itself`,
				`f.yaml:4:12: << merges mappings; got "1"`,
			},
		},
		{
			name: "duplicate key",
			yaml: `listen: 127.0.0.1:8080
listen: 127.0.0.1:8081
`,
			want: []string{`f.yaml:2:1: key "listen" is already set at line 1`},
		},
		{
			name: "YAML syntax error",
			yaml: `policies:
  web: {allow_origins: [https://app.example.com}
`,
			want: []string{`f.yaml:2:1: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name: "YAML syntax error on a later line",
			yaml: `a: 1
b:
  c: [1, 2
  d: 3
`,
			want: []string{`f.yaml:3:1: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name: "YAML scanner error",
			yaml: `listen: 127.0.0.1:8080
routes: 2
listen 3
`,
			want: []string{`f.yaml:3:1: invalid YAML: could not find expected ':'`},
		},
		{
			name: "a tab in the indentation",
			yaml: "listen: 127.0.0.1:8080\npolicies:\n\tweb:\n\t\tallow_origins: [https://app.example.com]\n",
			want: []string{`f.yaml:3:1: invalid YAML: a tab in the indentation; YAML indents with spaces only`},
		},
		{
			name: "a tab after spaces in the indentation",
			yaml: "policies:\n  web:\n  \tallow_origins: [https://app.example.com]\n",
			want: []string{`f.yaml:3:3: invalid YAML: a tab in the indentation; YAML indents with spaces only`},
		},
		{
			name: "undefined anchor",
			yaml: "listen: *nope\n",
			want: []string{`f.yaml:1:1: invalid YAML: unknown anchor 'nope' referenced`},
		},
		{
			name: "two documents",
			yaml: `listen: 127.0.0.1:8080
---
listen: 127.0.0.1:8081
`,
			want: []string{`f.yaml:3:1: a config file holds one YAML document; remove the second one (after ---)`},
		},
		{
			name: "empty file",
			yaml: "# nothing but a comment\n",
			want: []string{`f.yaml:1:1: the config is empty`},
		},
		{
			name: "not a mapping",
			yaml: "- listen\n",
			want: []string{`f.yaml:1:1: the config: expected a mapping, got a list`},
		},
		{
			name: "several errors, sorted by position whatever the order of checks",
			yaml: `routes:
  - {id: r, path: /, upstream: missing}
upstreams:
  a: {targets: [x]}
policies:
  p: {allow_origins: ["*"], allow_credentials: true}
listen: nowhere
`,
			want: []string{
				`f.yaml:2:32: route "r": upstream "missing" is not defined`,
				`f.yaml:4:17: upstream "a": target "x" has no scheme: write "http://x" (or https://)`,
				`f.yaml:6:23: policy "p": allow_origins[0] "*": "*" cannot be used with allow_credentials: browsers refuse it; list the origins that need credentials`,
				`f.yaml:7:9: listen: "nowhere" is not host:port; write e.g. 127.0.0.1:8080, or :8080 for every interface`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("f.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v; want errors:\n%s", c, strings.Join(tc.want, "\n"))
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want config.Errors: %v", err, err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
			var first *config.Error
			if !errors.As(err, &first) || first != errs[0] {
				t.Errorf("errors.As(err, *config.Error) = %v, want the first error", first)
			}
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 1 || e.Col < 1 {
					t.Errorf("error without a position: %+v", e)
				}
			}
		})
	}
}

// TestErrorCodes checks that a problem the cors library finds keeps its
// code, and that other problems have none.
func TestErrorCodes(t *testing.T) {
	yaml := `routes:
  - {id: r, path: /, upstream: missing}
upstreams:
  a: {targets: ["http://127.0.0.1:9001"]}
policies:
  p: {allow_origins: ["*", "null", "http://app.example.com"], allow_credentials: true, max_age: 90000}
`
	want := []string{ // each error as "path code", in order
		"routes[0].upstream ",
		"policies.p.allow_origins[0] " + string(cors.ProblemWildcardNotAlone),
		"policies.p.allow_origins[0] " + string(cors.ProblemWildcardCredentials),
		"policies.p.allow_origins[1] " + string(cors.ProblemNullCredentials),
		"policies.p.allow_origins[2] " + string(cors.ProblemInsecureOriginCredentials),
		"policies.p.max_age ",
	}
	_, err := config.Parse("f.yaml", []byte(yaml))
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse: %v, want config.Errors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Path+" "+string(e.Code))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("codes:\n got  %q\n want %q", got, want)
	}
}

func TestParseValues(t *testing.T) {
	t.Setenv("CROSSGATE_TEST_ORIGIN", "https://app.example.com")
	t.Setenv("CROSSGATE_TEST_MAX_AGE", "600")
	t.Setenv("CROSSGATE_TEST_CREDENTIALS", "true")
	t.Setenv("CROSSGATE_TEST_EMPTY", "")
	const upstream = "upstreams: {a: {targets: [\"http://127.0.0.1:9001\"]}}\n"
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *config.Config)
	}{
		{
			name: "defaults for what the file leaves out",
			yaml: upstream + `policies: {p: {allow_origins: [https://app.example.com]}}
routes: [{id: r, path: /, upstream: a}]
`,
			check: func(t *testing.T, c *config.Config) {
				expect(t, "listen", c.Listen, "127.0.0.1:8080")
				expect(t, "mode", c.Policies["p"].Mode, config.ModeGateway)
				expect(t, "preflight_status", c.Policies["p"].PreflightStatus, 204)
				expect(t, "timeout", c.Upstreams["a"].Timeout, 30*time.Second)
				expect(t, "retries", c.Upstreams["a"].Retries, 1)
				expect(t, "max_fails", c.Upstreams["a"].MaxFails, 1)
				expect(t, "fail_timeout", c.Upstreams["a"].FailTimeout, 10*time.Second)
				expect(t, "health_check", c.Upstreams["a"].HealthCheck, (*config.HealthCheck)(nil))
				expect(t, "tls", c.TLS, (*config.TLS)(nil))
				expect(t, "admin", c.Admin, (*config.Admin)(nil))
				name, p := c.RoutePolicy(c.Routes[0])
				expect(t, "route policy", p, (*config.Policy)(nil))
				expect(t, "route policy name", name, "")
			},
		},
		{
			name: "environment substitution",
			yaml: upstream + `policies:
  p:
    allow_origins: ["${CROSSGATE_TEST_ORIGIN}", "https://${CROSSGATE_TEST_UNSET:-fallback.example.com}", "https://${CROSSGATE_TEST_EMPTY:-empty.example.com}"]
    allow_origin_regex: ['https://x\.example\.com$', "https://cost-$$5\\.example\\.com"]
    max_age: ${CROSSGATE_TEST_MAX_AGE}
    allow_credentials: "${CROSSGATE_TEST_CREDENTIALS}"
routes: [{id: "${CROSSGATE_TEST_EMPTY}r", path: /, upstream: a}]
`,
			check: func(t *testing.T, c *config.Config) {
				p := c.Policies["p"]
				expect(t, "allow_origins", p.AllowOrigins, []string{"https://app.example.com", "https://fallback.example.com", "https://empty.example.com"})
				expect(t, "allow_origin_regex", p.AllowOriginRegex, []string{`https://x\.example\.com$`, `https://cost-$5\.example\.com`})
				expect(t, "max_age", p.MaxAge, 600)
				expect(t, "allow_credentials", p.AllowCredentials, true)
				expect(t, "route id", c.Routes[0].ID, "r")
			},
		},
		{
			name: "an empty variable in a plain scalar leaves the key unset",
			yaml: upstream + `listen: ${CROSSGATE_TEST_EMPTY}
routes: [{id: r, path: /, upstream: a}]
`,
			check: func(t *testing.T, c *config.Config) {
				expect(t, "listen", c.Listen, "127.0.0.1:8080")
			},
		},
		{
			name: "named, inline, off and default policies",
			yaml: upstream + `policies:
  web: {allow_origins: [https://app.example.com]}
  legacy: {mode: upstream}
routes:
  - {id: named, path: /named, upstream: a, cors: web}
  - {id: inline, path: /inline, upstream: a, cors: {allow_origins: [https://other.example.com], mode: shadow}}
  - {id: off, path: /off, upstream: a, cors: off}
  - {id: default, path: /default, upstream: a}
  - {id: upstream-owned, path: /legacy, upstream: a, cors: legacy}
defaults:
  cors: web
`,
			check: func(t *testing.T, c *config.Config) {
				want := []struct {
					name   string
					policy *config.Policy
				}{
					{"web", c.Policies["web"]},
					{"", &config.Policy{AllowOrigins: []string{"https://other.example.com"}, Mode: config.ModeShadow, PreflightStatus: 204}},
					{"", nil},
					{"web", c.Policies["web"]},
					{"legacy", &config.Policy{Mode: config.ModeUpstream, PreflightStatus: 204}},
				}
				expect(t, "route off", c.Routes[2].CORS, &config.PolicyRef{Off: true})
				for i, w := range want {
					name, p := c.RoutePolicy(c.Routes[i])
					expect(t, c.Routes[i].ID+" policy name", name, w.name)
					expect(t, c.Routes[i].ID+" policy", p, w.policy)
				}
			},
		},
		{
			name: "defaults.cors off",
			yaml: upstream + `policies: {web: {allow_origins: [https://app.example.com]}}
routes: [{id: r, path: /, upstream: a}]
defaults: {cors: off}
`,
			check: func(t *testing.T, c *config.Config) {
				_, p := c.RoutePolicy(c.Routes[0])
				expect(t, "policy", p, (*config.Policy)(nil))
			},
		},
		{
			name: "merge keys share settings between policies",
			yaml: upstream + `policies:
  base: &base
    allow_origins: [https://app.example.com]
    allow_methods: [GET, PUT]
  strict:
    <<: *base
    allow_methods: [GET]
routes: [{id: r, path: /, upstream: a, cors: strict}]
`,
			check: func(t *testing.T, c *config.Config) {
				p := c.Policies["strict"]
				expect(t, "allow_origins", p.AllowOrigins, []string{"https://app.example.com"})
				expect(t, "allow_methods", p.AllowMethods, []string{"GET"})
			},
		},
		{
			name: "a body limit beyond 32 bits",
			yaml: upstream + `routes: [{id: r, path: /upload, upstream: a, max_body_bytes: 5_000_000_000}]
`,
			check: func(t *testing.T, c *config.Config) {
				expect(t, "max_body_bytes", c.Routes[0].MaxBodyBytes, int64(5_000_000_000))
			},
		},
		{
			name: "csrf token mode defaults its lifetime",
			yaml: upstream + `routes:
  - id: r
    path_prefix: /
    upstream: a
    csrf: {mode: both, exempt_paths: [/hooks/], secret: 0123456789abcdef0123456789abcdef}
`,
			check: func(t *testing.T, c *config.Config) {
				expect(t, "csrf", c.Routes[0].CSRF, &config.CSRF{
					Mode:        config.CSRFBoth,
					ExemptPaths: []string{"/hooks/"},
					Secret:      "0123456789abcdef0123456789abcdef",
					TokenTTL:    config.DefaultTokenTTL,
				})
			},
		},
		{
			name: "admin keys and tls",
			yaml: upstream + `listen: "[::1]:8443"
tls: {cert_file: /etc/crossgate/cert.pem, key_file: /etc/crossgate/key.pem}
admin:
  listen: 0.0.0.0:9180
  keys:
    - {name: ops, key: 0123456789abcdef, role: admin}
    - {name: dash, key: fedcba9876543210, role: viewer}
routes: [{id: r, path: /, upstream: a}]
`,
			check: func(t *testing.T, c *config.Config) {
				expect(t, "listen", c.Listen, "[::1]:8443")
				expect(t, "admin keys", c.Admin.Keys, []*config.AdminKey{
					{Name: "ops", Key: "0123456789abcdef", Role: config.RoleAdmin},
					{Name: "dash", Key: "fedcba9876543210", Role: config.RoleViewer},
				})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("f.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			tc.check(t, c)
		})
	}
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %s, want %s", what, dump(got), dump(want))
	}
}

func TestDefault(t *testing.T) {
	c, err := config.Parse("default.yaml", config.Default())
	if err != nil {
		t.Fatalf("the embedded default config is invalid:\n%v", err)
	}
	if len(c.Policies) != 1 || len(c.Upstreams) != 1 || len(c.Routes) != 1 {
		t.Errorf("default config has %d policies, %d upstreams, %d routes; want one of each", len(c.Policies), len(c.Upstreams), len(c.Routes))
	}
	u := c.Upstreams[c.Routes[0].Upstream]
	if u == nil || !reflect.DeepEqual(u.Targets, []string{"http://127.0.0.1:9001"}) {
		t.Errorf("default upstream = %s, want one target http://127.0.0.1:9001", dump(u))
	}
	if _, p := c.RoutePolicy(c.Routes[0]); p == nil {
		t.Error("default route has no CORS policy")
	}
	b := config.Default()
	b[0] = '!'
	if config.Default()[0] == '!' {
		t.Error("Default returns the embedded bytes themselves; a caller can change them")
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	c := &config.Config{
		Listen:    "127.0.0.1:8080",
		Upstreams: map[string]*config.Upstream{"a": {Targets: []string{"http://127.0.0.1:9001"}, Timeout: time.Second}},
		Routes:    []*config.Route{{ID: "r", Path: "/", Upstream: "b"}},
	}
	err := c.Validate()
	want := `routes[0].upstream: route "r": upstream "b" is not defined`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %s", err, want)
	}
	c.Routes[0].Upstream = "a"
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestLoad(t *testing.T) {
	if _, err := config.Load(t.TempDir() + "/missing.yaml"); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
	path := t.TempDir() + "/crossgate.yaml"
	if err := os.WriteFile(path, []byte("listen: nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	if want := path + `:1:9: listen: "nowhere" is not host:port; write e.g. 127.0.0.1:8080, or :8080 for every interface`; err == nil || err.Error() != want {
		t.Errorf("Load(invalid) = %v, want %s", err, want)
	}
}

func TestPerRouteMetrics(t *testing.T) {
	routes := func(n int) string {
		var b strings.Builder
		b.WriteString("upstreams: {a: {targets: [\"http://127.0.0.1:1\"]}}\nroutes:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {id: r%d, path: /%d, upstream: a}\n", i, i)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		setting string
		routes  int
		want    bool
	}{
		{"auto, few routes", "", 1, true},
		{"auto at the limit", "metrics: {per_route: auto}\n", config.PerRouteAutoLimit, true},
		{"auto above the limit", "", config.PerRouteAutoLimit + 1, false},
		{"on above the limit", "metrics: {per_route: on}\n", config.PerRouteAutoLimit + 1, true},
		{"off with one route", "metrics: {per_route: off}\n", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("f.yaml", []byte(tt.setting+routes(tt.routes)))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.PerRouteMetrics(); got != tt.want {
				t.Errorf("PerRouteMetrics() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	const refused = "listen: 127.0.0.1:8080\npolicies:\n  web: {allow_origins: [\"*\"], allow_credentials: true}\nupstreams:\n  api: {targets: [http://127.0.0.1:9001]}\nroutes:\n  - {id: api, path_prefix: /, upstream: nowhere, cors: web}\n"
	tests := []struct {
		name       string
		text       string
		wantConfig bool
		wantErrs   int
	}{
		{"valid: the config, no error", designExample, true, 0},
		{"refused by validation: the config and every error", refused, true, 2},
		{"not YAML: no config", "listen: [\n", false, 1},
		{"empty: no config", "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CROSSGATE_ADMIN_KEY", "0123456789abcdef0123")
			c, err := config.Decode("d.yaml", []byte(tt.text))
			if (c != nil) != tt.wantConfig {
				t.Errorf("config %v, want one: %v", c != nil, tt.wantConfig)
			}
			var es config.Errors
			if errors.As(err, &es); len(es) != tt.wantErrs {
				t.Errorf("%d errors, want %d: %v", len(es), tt.wantErrs, err)
			}
			if _, perr := config.Parse("d.yaml", []byte(tt.text)); (perr == nil) != (tt.wantErrs == 0) {
				t.Errorf("Parse and Decode disagree: %v / %v", perr, err)
			}
			if tt.wantConfig && tt.wantErrs > 0 && c.Policies["web"] == nil {
				t.Error("the refused config lost its policy")
			}
		})
	}
}

// TestParseBoundsMergeExpansion parses policies that merge the previous one
// ten times over, 10^8 values from a file of a few hundred bytes: Parse
// must stop at its bound with one error, not expand them or list the
// errors of what it left undecoded.
func TestParseBoundsMergeExpansion(t *testing.T) {
	var b strings.Builder
	b.WriteString("policies:\n  a0: &a0 {max_age: 1}\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	_, err := config.Parse("bomb.yaml", []byte(b.String()))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Error(), "the document expands to too many values") {
		t.Fatalf("Parse = %v, want one error: the document expands to too many values", err)
	}
}

// TestMaxAgeForms: max_age is written in seconds, as the header counts
// them, or as a duration, as timeout is.
func TestMaxAgeForms(t *testing.T) {
	tests := []struct {
		value string
		want  int    // seconds
		err   string // the error, when refused
	}{
		{"7200", 7200, ""},
		{"2h", 7200, ""},
		{"90m", 5400, ""},
		{"-1", -1, ""},
		{"-1s", -1, ""},
		{"1.5s", 0, `max_age: 1.5s is not a whole number of seconds`},
		{"2 hours", 0, `max_age: expected seconds (7200) or a duration such as "2h", got "2 hours"`},
		{"48h", 0, `max_age 172800 is not from -1 (no caching) to 86400 seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := config.Parse("f.yaml", []byte("policies: {web: {allow_origins: [https://app.example.com], max_age: "+tt.value+"}}\n"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Policies["web"].MaxAge; got != tt.want {
				t.Errorf("MaxAge = %d, want %d", got, tt.want)
			}
		})
	}
}

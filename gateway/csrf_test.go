package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCSRFAfterCORS(t *testing.T) {
	up := newUpstream(t, nil)
	gw, g := startGateway(t, `
policies:
  web: {allow_origins: [https://app.example.com], allow_methods: [POST, PUT], allow_credentials: true}
upstreams:
  u: {targets: [%s]}
routes:
  - {id: meta, path_prefix: /meta/, upstream: u, cors: web, csrf: {mode: fetch-metadata, exempt_paths: [/meta/hooks]}}
  - {id: token, path_prefix: /token/, upstream: u, cors: web, csrf: {mode: token}}
  - {id: shared, path_prefix: /shared/, upstream: u, cors: web, csrf: {mode: token, cookie_domain: example.com}}
`, up.URL)

	tests := []struct {
		name       string
		method     string
		path       string
		hdr        map[string]string
		want       int
		wantReason string
		wantACAO   string
	}{
		{"cross-site POST from an unknown site is refused, with CORS headers", "POST", "/meta/x",
			map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site"}, 403, "cross-site", ""},
		{"cross-site POST from the policy's origin passes", "POST", "/meta/x",
			map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}, 200, "", "https://app.example.com"},
		{"same-origin POST passes", "POST", "/meta/x",
			map[string]string{"Sec-Fetch-Site": "same-origin"}, 200, "", ""},
		{"same-site PUT from the policy's origin passes", "PUT", "/meta/x",
			map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "same-site", "Host": "other.example.com"}, 200, "", "https://app.example.com"},
		{"exempt path passes", "POST", "/meta/hooks/github",
			map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site"}, 200, "", ""},
		{"userinfo in Origin without Sec-Fetch-Site is refused", "POST", "/meta/x",
			map[string]string{"Origin": "http://evil.test@127.0.0.1"}, 403, "origin-malformed", ""},
		{"preflight is answered by CORS, never refused by CSRF", "OPTIONS", "/meta/x",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Sec-Fetch-Site": "cross-site"}, 204, "", "https://app.example.com"},
		{"token route: POST without a token is refused", "POST", "/token/x",
			map[string]string{"Origin": "https://app.example.com"}, 403, "cookie-missing", "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, gw.URL+tt.path, nil)
			for k, v := range tt.hdr {
				if k == "Host" {
					req.Host = v
					continue
				}
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.want, body)
			}
			if tt.wantReason != "" && !strings.Contains(string(body), `"reason":"`+tt.wantReason+`"`) {
				t.Errorf("body %s lacks reason %s", body, tt.wantReason)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("ACAO = %q, want %q", got, tt.wantACAO)
			}
		})
	}
	if got := metricValue(t, g, "crossgate_csrf_refusals_total", "route", "meta", "reason", "cross-site"); got != 1 {
		t.Errorf("csrf refusals (cross-site) = %v, want 1", got)
	}

	t.Run("cookie_domain lets sibling hosts read the token", func(t *testing.T) {
		resp, err := http.Get(gw.URL + "/shared/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := resp.Cookies(); len(c) != 1 || c[0].Domain != "example.com" || c[0].HttpOnly {
			t.Errorf("token cookie = %+v, want one readable cookie for example.com", c)
		}
	})
	t.Run("token route: a token from a GET lets the POST through", func(t *testing.T) {
		resp, err := http.Get(gw.URL + "/token/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			cookie = c
		}
		if cookie == nil {
			t.Fatal("no token cookie on a safe request")
		}
		req, _ := http.NewRequest("POST", gw.URL+"/token/x", nil)
		req.AddCookie(cookie)
		req.Header.Set("X-CSRF-Token", cookie.Value)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("POST with the token: status %d", resp.StatusCode)
		}
	})
}

package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
)

const (
	adminKey  = "admin-key-0123456789abcdef"
	viewerKey = "viewer-key-0123456789abcdef"
)

func testAuth(t testing.TB) *admin.Auth {
	t.Helper()
	a, err := admin.NewAuth([]*config.AdminKey{
		{Name: "ops", Key: adminKey, Role: config.RoleAdmin},
		{Name: "dash", Key: viewerKey, Role: config.RoleViewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// reached is the handler behind Require: it answers 200 with the key's
// name.
var reached = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, "in as ", admin.KeyName(r.Context()))
})

func TestRequire(t *testing.T) {
	a := testAuth(t)
	tests := []struct {
		name   string
		role   admin.Role
		header string
		status int
		code   string // the JSON error code, or the body when 200
	}{
		{"no key", admin.RoleViewer, "", 401, "unauthorized"},
		{"not bearer", admin.RoleViewer, "Basic " + adminKey, 401, "unauthorized"},
		{"empty bearer", admin.RoleViewer, "Bearer ", 401, "unauthorized"},
		{"unknown key", admin.RoleViewer, "Bearer not-a-key-0123456789abcdef", 401, "unauthorized"},
		{"key with its last byte changed", admin.RoleViewer, "Bearer " + adminKey[:len(adminKey)-1] + "0", 401, "unauthorized"},
		{"prefix of a key", admin.RoleViewer, "Bearer " + adminKey[:len(adminKey)-1], 401, "unauthorized"},
		{"key with a suffix", admin.RoleViewer, "Bearer " + adminKey + "x", 401, "unauthorized"},
		{"viewer reads", admin.RoleViewer, "Bearer " + viewerKey, 200, "in as dash"},
		{"admin reads", admin.RoleViewer, "Bearer " + adminKey, 200, "in as ops"},
		{"viewer writes", admin.RoleAdmin, "Bearer " + viewerKey, 403, "forbidden"},
		{"admin writes", admin.RoleAdmin, "Bearer " + adminKey, 200, "in as ops"},
		{"scheme is case-insensitive", admin.RoleAdmin, "bearer " + adminKey, 200, "in as ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/config", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			a.Require(tt.role, reached).ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 200 {
				if w.Body.String() != tt.code {
					t.Errorf("body = %q, want %q", w.Body, tt.code)
				}
				return
			}
			var body admin.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body is not JSON: %v: %s", err, w.Body)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %q and a message", body.Error, tt.code)
			}
			if tt.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestRequireWithoutKeys: a keyless Admin API (allowed on loopback only)
// lets the machine's own programs in, and not a browser sent there by
// another site.
func TestRequireWithoutKeys(t *testing.T) {
	a, err := admin.NewAuth(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		host   string
		origin string
		status int
	}{
		{"curl on loopback", "127.0.0.1:9180", "", 200},
		{"localhost", "localhost:9180", "", 200},
		{"IPv6 loopback", "[::1]:9180", "", 200},
		{"its own page", "127.0.0.1:9180", "http://127.0.0.1:9180", 200},
		{"another site's page", "127.0.0.1:9180", "https://evil.example", 403},
		{"another port's page", "127.0.0.1:9180", "http://127.0.0.1:3000", 403},
		{"DNS rebinding", "evil.example:9180", "http://evil.example:9180", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/v1/policies/web", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			w := httptest.NewRecorder()
			a.Require(admin.RoleAdmin, reached).ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
		})
	}
}

func TestNewAuthRefuses(t *testing.T) {
	tests := []struct {
		name string
		key  *config.AdminKey
	}{
		{"short key", &config.AdminKey{Name: "a", Key: "short", Role: config.RoleAdmin}},
		{"unknown role", &config.AdminKey{Name: "a", Key: adminKey, Role: "root"}},
		{"nil key", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := admin.NewAuth([]*config.AdminKey{tt.key}); err == nil {
				t.Error("NewAuth accepted it")
			}
		})
	}
}

// TestAuthKeepsNoKeys: the keys themselves are not kept, only hashes.
func TestAuthKeepsNoKeys(t *testing.T) {
	dump := fmt.Sprintf("%+v %#v", *testAuth(t), *testAuth(t))
	for _, k := range []string{adminKey, viewerKey} {
		if strings.Contains(dump, k) {
			t.Errorf("the Auth holds the key %q: %s", k, dump)
		}
	}
}

// BenchmarkAuthenticate shows that a wrong key costs what a right one
// does, whether it shares a long prefix with a real key or nothing.
func BenchmarkAuthenticate(b *testing.B) {
	a := testAuth(b)
	for _, bc := range []struct{ name, key string }{
		{"right-key", adminKey},
		{"wrong-key/long-common-prefix", adminKey[:len(adminKey)-1] + "0"},
		{"wrong-key/nothing-in-common", strings.Repeat("z", len(adminKey))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			r := httptest.NewRequest("GET", "/v1/config", nil)
			r.Header.Set("Authorization", "Bearer "+bc.key)
			for b.Loop() {
				_, _ = a.Authenticate(r)
			}
		})
	}
}

package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/admin"
	"github.com/crossgate/crossgate/config"
	"github.com/prometheus/client_golang/prometheus"
)

const apiConfig = `
policies:
  web: {allow_origins: [https://app.example.com]}
upstreams:
  api: {targets: [http://127.0.0.1:9001]}
routes:
  - {id: a, path_prefix: /a/, upstream: api, cors: web}
  - {id: tok, path_prefix: /tok/, upstream: api, cors: web, csrf: {mode: token, secret: "` + csrfSecret + `"}}
`

const csrfSecret = "csrf-secret-0123456789abcdef-0123456789"

// memStore is a config.ResourceStore in memory with the store's contract:
// compare-and-swap on versions, validation of the whole result, and no
// deletion of what a route uses.
type memStore struct {
	mu   sync.Mutex
	r    *config.Resources
	down bool
}

func newMemStore(t testing.TB) *memStore {
	c, err := config.Parse("api.yaml", []byte(apiConfig))
	if err != nil {
		t.Fatal(err)
	}
	r := config.ResourcesOf(c)
	r.Revision, r.Versions = 1, map[string]int64{}
	for _, k := range config.Kinds {
		for id := range r.Of(k) {
			r.Versions[config.VersionKey(k, id)] = 1
		}
	}
	return &memStore{r: r}
}

var errDown = errors.New("etcd: context deadline exceeded")

func (m *memStore) Resources(context.Context) (*config.Resources, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errDown
	}
	return m.r, nil
}

func (m *memStore) Change(_ context.Context, k config.Kind, id string, v json.RawMessage, ifMatch int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return 0, errDown
	}
	cur := m.r.Versions[config.VersionKey(k, id)]
	switch {
	case ifMatch > 0 && ifMatch != cur:
		return 0, &config.ConflictError{Kind: k, ID: id, Version: cur}
	case v == nil && cur == 0:
		return 0, config.ErrNotFound
	}
	if v == nil {
		old, _ := m.r.Config(nil)
		if users := old.RoutesUsing(k, id); len(users) > 0 {
			return 0, &config.InUseError{Kind: k, ID: id, Routes: users}
		}
	}
	next := m.r.With(k, id, v)
	cfg, err := next.Config(nil)
	if err != nil {
		return 0, err
	}
	next = config.ResourcesOf(cfg)
	next.Revision = m.r.Revision + 1
	next.Versions = make(map[string]int64)
	for key, ver := range m.r.Versions {
		next.Versions[key] = ver
	}
	if v == nil {
		delete(next.Versions, config.VersionKey(k, id))
	} else {
		next.Versions[config.VersionKey(k, id)] = next.Revision
	}
	m.r = next
	if v == nil {
		return 0, nil
	}
	return next.Revision, nil
}

func (m *memStore) Nodes(context.Context) ([]json.RawMessage, error) {
	return []json.RawMessage{json.RawMessage(`{"id":"n1"}`)}, nil
}

func apiHandler(t testing.TB, store config.ResourceStore) http.Handler {
	t.Helper()
	cfg, err := config.Parse("api.yaml", []byte(apiConfig))
	if err != nil {
		t.Fatal(err)
	}
	o := admin.Options{Metrics: prometheus.NewRegistry(), Auth: testAuth(t), Config: func() *config.Config { return cfg }}
	if store != nil {
		o.Store = store
	}
	return admin.Handler(o)
}

type apiCase struct {
	name    string
	method  string
	path    string
	key     string
	header  map[string]string
	body    string
	status  int
	code    string // the error's code, or a part of a 200 body
	problem string // a part of a problem's "path: message"
}

func runAPI(t *testing.T, h http.Handler, tests []apiCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				r.Header.Set("Authorization", "Bearer "+tt.key)
			}
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tt.status < 300 {
				if !strings.Contains(w.Body.String(), tt.code) {
					t.Errorf("body lacks %q: %s", tt.code, w.Body)
				}
				return
			}
			var body admin.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("the error is not JSON: %v: %s", err, w.Body)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %q with a message", body.Error, tt.code)
			}
			if tt.problem != "" {
				found := false
				for _, p := range body.Error.Problems {
					found = found || strings.Contains(p.Path+": "+p.Message, tt.problem)
				}
				if !found {
					t.Errorf("no problem %q in %+v", tt.problem, body.Error.Problems)
				}
			}
		})
	}
}

func TestAPICluster(t *testing.T) {
	store := newMemStore(t)
	h := apiHandler(t, store)
	json1 := map[string]string{"If-Match": `"1"`}
	runAPI(t, h, []apiCase{
		{"config", "GET", "/v1/config", viewerKey, nil, "", 200, `"mode": "cluster"`, ""},
		{"config without a key", "GET", "/v1/config", "", nil, "", 401, "unauthorized", ""},
		{"a policy", "GET", "/v1/policies/web", viewerKey, nil, "", 200, `"allow_origins":["https://app.example.com"]`, ""},
		{"a missing policy", "GET", "/v1/policies/nope", viewerKey, nil, "", 404, "not-found", ""},
		{"an id that is not one", "GET", "/v1/policies/a%20b", viewerKey, nil, "", 400, "invalid-id", ""},
		{"an unknown kind", "GET", "/v1/things/a", viewerKey, nil, "", 404, "not-found", ""},
		{"a viewer writes", "PUT", "/v1/policies/web", viewerKey, nil, `{"allow_origins": ["https://b.example.com"]}`, 403, "forbidden", ""},
		{"an unknown field", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origin": ["https://b.example.com"]}`, 400, "invalid-config", `policies.web.allow_origin: unknown key "allow_origin" in policy "web"; did you mean "allow_origins"?`},
		{"an insecure policy", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origins": ["*"], "allow_credentials": true}`, 400, "invalid-config", "policies.web"},
		{"a route on a missing upstream", "PUT", "/v1/routes/b", adminKey, nil, `{"path_prefix": "/b/", "upstream": "nope"}`, 400, "invalid-config", "routes.b.upstream"},
		{"invalid JSON", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origins": [}`, 400, "invalid-json", ""},
		{"not an object", "PUT", "/v1/policies/web", adminKey, nil, `["https://b.example.com"]`, 400, "invalid-json", ""},
		{"two values", "PUT", "/v1/policies/web", adminKey, nil, `{} {}`, 400, "invalid-json", ""},
		{"not JSON", "PUT", "/v1/policies/web", adminKey, map[string]string{"Content-Type": "text/plain"}, `{}`, 415, "unsupported-media-type", ""},
		{"a body over 1 MiB", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origins": ["` + strings.Repeat("a", admin.MaxBodyBytes) + `"]}`, 413, "too-large", ""},
		{"If-Match not an ETag", "PUT", "/v1/policies/web", adminKey, map[string]string{"If-Match": "yesterday"}, `{"allow_origins": ["https://b.example.com"]}`, 400, "invalid-if-match", ""},
		{"a change on the current version", "PUT", "/v1/policies/web", adminKey, json1, `{"allow_origins": ["https://b.example.com"]}`, 200, `"version": 2`, ""},
		{"a change on an old version", "PUT", "/v1/policies/web", adminKey, json1, `{"allow_origins": ["https://c.example.com"]}`, 409, "conflict", ""},
		{"the change is stored", "GET", "/v1/policies/web", viewerKey, nil, "", 200, `https://b.example.com`, ""},
		{"deleting a used upstream", "DELETE", "/v1/upstreams/api", adminKey, nil, "", 409, "in-use", ""},
		{"deleting a missing route", "DELETE", "/v1/routes/nope", adminKey, nil, "", 404, "not-found", ""},
		{"validate a bad config", "POST", "/v1/validate", viewerKey, nil, `{"policies": {"p": {"allow_origins": ["*"], "allow_credentials": true}}}`, 200, `"valid": false`, ""},
		{"validate a good config", "POST", "/v1/validate", viewerKey, nil, apiConfig, 200, `"valid": true`, ""},
		{"nodes", "GET", "/v1/nodes", viewerKey, nil, "", 200, `"id": "n1"`, ""},
		{"deleting a route", "DELETE", "/v1/routes/a", adminKey, nil, "", 200, `"version": 0`, ""},
		{"and the other", "DELETE", "/v1/routes/tok", adminKey, nil, "", 200, `"version": 0`, ""},
		{"then their upstream", "DELETE", "/v1/upstreams/api", adminKey, nil, "", 200, `"version": 0`, ""},
	})

	t.Run("in use names the routes", func(t *testing.T) {
		store := newMemStore(t)
		w := httptest.NewRecorder()
		r := httptest.NewRequest("DELETE", "/v1/policies/web", nil)
		r.Header.Set("Authorization", "Bearer "+adminKey)
		apiHandler(t, store).ServeHTTP(w, r)
		var body admin.ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != 409 || strings.Join(body.Error.Routes, ",") != "a,tok" {
			t.Errorf("%d %s, want 409 naming routes a and tok", w.Code, w.Body)
		}
	})

	t.Run("etcd down", func(t *testing.T) {
		store := newMemStore(t)
		store.down = true
		runAPI(t, apiHandler(t, store), []apiCase{
			{"a read", "GET", "/v1/config", viewerKey, nil, "", 503, "store-unavailable", ""},
			{"a write", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origins": ["https://b.example.com"]}`, 503, "store-unavailable", ""},
		})
	})
}

// TestAPIHidesSecretsFromViewers: a viewer reads routes without their
// CSRF secret, which would let it sign tokens; an admin reads them whole,
// to write them back.
func TestAPIHidesSecretsFromViewers(t *testing.T) {
	for _, mode := range []struct {
		name  string
		store config.ResourceStore
	}{{"cluster", newMemStore(t)}, {"file", nil}} {
		h := apiHandler(t, mode.store)
		for _, path := range []string{"/v1/routes/tok", "/v1/config"} {
			for _, tt := range []struct {
				key  string
				want bool
			}{{viewerKey, false}, {adminKey, true}} {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+tt.key)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if got := strings.Contains(w.Body.String(), csrfSecret); w.Code != 200 || got != tt.want {
					t.Errorf("%s: GET %s as %s: %d, secret shown: %v, want %v", mode.name, path, tt.key[:5], w.Code, got, tt.want)
				}
				if !tt.want && !strings.Contains(w.Body.String(), "hidden") {
					t.Errorf("%s: GET %s as a viewer does not say the secret is hidden: %s", mode.name, path, w.Body)
				}
			}
		}
	}
}

func TestAPIFileMode(t *testing.T) {
	runAPI(t, apiHandler(t, nil), []apiCase{
		{"config", "GET", "/v1/config", viewerKey, nil, "", 200, `"mode": "file"`, ""},
		{"a policy", "GET", "/v1/policies/web", viewerKey, nil, "", 200, `"allow_origins":["https://app.example.com"]`, ""},
		{"a write", "PUT", "/v1/policies/web", adminKey, nil, `{"allow_origins": ["https://b.example.com"]}`, 405, "read-only", ""},
		{"a delete", "DELETE", "/v1/routes/a", adminKey, nil, "", 405, "read-only", ""},
		{"nodes", "GET", "/v1/nodes", viewerKey, nil, "", 200, `"source": "file"`, ""},
	})
}

// FuzzPutBody: whatever a PUT's body, the Admin API answers with a JSON
// status of 200 or 4xx, never panics, and stores only what builds into a
// valid config.
func FuzzPutBody(f *testing.F) {
	for _, seed := range []string{
		`{"allow_origins": ["https://b.example.com"]}`,
		`{"allow_origins": ["*"], "allow_credentials": true}`,
		`{"allow_origin_regex": ["^https://(a|b)\\.example\\.com$"], "max_age": 600}`,
		`{"targets": ["http://127.0.0.1:9001"], "timeout": "1m"}`,
		`{"path_prefix": "/a/", "upstream": "api", "cors": {"allow_origins": ["https://x.example"]}}`,
		`{"id": "other", "path": "/x", "upstream": "api"}`,
		`{"allow_origins": "https://a.example.com"}`,
		`{"a": {"b": [1, 2, {"c": null}]}}`,
		`{"allow_origins": [}`, `[]`, `null`, `"x"`, `{} {}`, `{"max_age": 1e400}`,
	} {
		for _, k := range config.Kinds {
			f.Add(string(k), seed)
		}
	}
	f.Fuzz(func(t *testing.T, kind, body string) {
		k := config.Kind(kind)
		if k != config.KindPolicies && k != config.KindUpstreams && k != config.KindRoutes {
			k = config.KindPolicies
		}
		store := newMemStore(t)
		h := apiHandler(t, store)
		r := httptest.NewRequest("PUT", "/v1/"+string(k)+"/web", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+adminKey)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && (w.Code < 400 || w.Code > 499) {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("the answer is not JSON: %s", w.Body)
		}
		if w.Code == 200 {
			if _, err := store.r.Config(nil); err != nil {
				t.Fatalf("stored %q, which does not build: %v", body, err)
			}
		}
	})
}

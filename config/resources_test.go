package config_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/config"
)

// TestResourcesRoundTrip: a config's resources, encoded and built again,
// are the same config, and encode to the same bytes.
func TestResourcesRoundTrip(t *testing.T) {
	t.Setenv("CSRF_SECRET", strings.Repeat("s", 40))
	for _, file := range []string{"../examples/crossgate.yaml", "testdata/resources.yaml"} {
		t.Run(file, func(t *testing.T) {
			c, err := config.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			r := config.ResourcesOf(c)
			back, err := r.Config(c)
			if err != nil {
				t.Fatalf("the encoded resources do not build: %v", err)
			}
			if !reflect.DeepEqual(c.Policies, back.Policies) || !reflect.DeepEqual(c.Upstreams, back.Upstreams) || !reflect.DeepEqual(c.Defaults, back.Defaults) {
				t.Errorf("policies, upstreams or defaults differ after the round trip")
			}
			byID := func(rs []*config.Route) map[string]*config.Route {
				m := map[string]*config.Route{}
				for _, r := range rs {
					m[r.ID] = r
				}
				return m
			}
			if !reflect.DeepEqual(byID(c.Routes), byID(back.Routes)) {
				t.Errorf("routes differ after the round trip")
			}
			if back.Listen != c.Listen || back.Admin != c.Admin || back.Metrics != c.Metrics {
				t.Errorf("the node's own settings are not kept")
			}
			if again := config.ResourcesOf(back); !reflect.DeepEqual(again, r) {
				t.Errorf("encoding is not canonical:\n%s\n%s", again.Policies, r.Policies)
			}
		})
	}
}

func TestResourcesConfigRefuses(t *testing.T) {
	base := &config.Resources{
		Policies:  map[string]json.RawMessage{"web": json.RawMessage(`{"allow_origins": ["https://app.example.com"]}`)},
		Upstreams: map[string]json.RawMessage{"api": json.RawMessage(`{"targets": ["http://127.0.0.1:9001"]}`)},
		Routes:    map[string]json.RawMessage{"a": json.RawMessage(`{"path_prefix": "/a/", "upstream": "api", "cors": "web"}`)},
	}
	tests := []struct {
		name string
		kind config.Kind
		id   string
		v    string
		path string
		msg  string
	}{
		{"unknown field", config.KindPolicies, "web", `{"allow_origin": ["https://a.example"]}`, "policies.web.allow_origin", `did you mean "allow_origins"`},
		{"wrong type", config.KindUpstreams, "api", `{"targets": "http://127.0.0.1:1"}`, "upstreams.api.targets", "expected a list"},
		{"route by id", config.KindRoutes, "b", `{"path_prefix": "/b/", "upstream": "nope"}`, "routes.b.upstream", `"nope"`},
		{"invalid JSON", config.KindPolicies, "web", `{"allow_origins": [}`, "policies.web", "not valid JSON"},
		{"another id", config.KindRoutes, "b", `{"id": "c", "path_prefix": "/b/", "upstream": "api"}`, "routes.b", "leave id out"},
		{"insecure policy", config.KindPolicies, "web", `{"allow_origins": ["*"], "allow_credentials": true}`, "policies.web", "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := base.With(tt.kind, tt.id, json.RawMessage(tt.v)).Config(nil)
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			found := slices.ContainsFunc(es, func(e *config.Error) bool {
				return strings.HasPrefix(e.Path, tt.path) && strings.Contains(e.Msg, tt.msg) && e.Line == 0
			})
			if !found {
				t.Errorf("no error at %s saying %q without a position; got:\n%v", tt.path, tt.msg, err)
			}
		})
	}
	if _, err := base.Config(nil); err != nil {
		t.Fatalf("the base resources are refused: %v", err)
	}
}

// TestResourcesAreLiteral: a stored value is not substituted from the
// node's environment.
func TestResourcesAreLiteral(t *testing.T) {
	t.Setenv("SECRET_ORIGIN", "https://leak.example.com")
	r := &config.Resources{
		Policies: map[string]json.RawMessage{"web": json.RawMessage(`{"allow_origins": ["https://app.example.com"], "allow_origin_regex": ["^https://a\\.example\\.com$", "${SECRET_ORIGIN}"]}`)},
	}
	c, err := r.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`^https://a\.example\.com$`, "${SECRET_ORIGIN}"}
	if got := c.Policies["web"].AllowOriginRegex; !slices.Equal(got, want) {
		t.Errorf("allow_origin_regex = %q, want %q", got, want)
	}
}

func TestRoutesUsing(t *testing.T) {
	r := &config.Resources{
		Policies:  map[string]json.RawMessage{"web": json.RawMessage(`{"allow_origins": ["https://app.example.com"]}`), "other": json.RawMessage(`{"allow_origins": ["https://b.example.com"]}`)},
		Upstreams: map[string]json.RawMessage{"api": json.RawMessage(`{"targets": ["http://127.0.0.1:9001"]}`)},
		Routes: map[string]json.RawMessage{
			"named":    json.RawMessage(`{"path_prefix": "/a/", "upstream": "api", "cors": "web"}`),
			"defaults": json.RawMessage(`{"path_prefix": "/b/", "upstream": "api"}`),
			"off":      json.RawMessage(`{"path_prefix": "/c/", "upstream": "api", "cors": "off"}`),
		},
		Defaults: json.RawMessage(`{"cors": "web"}`),
	}
	c, err := r.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind config.Kind
		id   string
		want []string
	}{
		{config.KindPolicies, "web", []string{"defaults", "named"}},
		{config.KindPolicies, "other", nil},
		{config.KindUpstreams, "api", []string{"defaults", "named", "off"}},
	}
	for _, tt := range tests {
		if got := c.RoutesUsing(tt.kind, tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("RoutesUsing(%s, %s) = %q, want %q", tt.kind, tt.id, got, tt.want)
		}
	}
}

// TestParseLiteral: ParseLiteral reads ${NAME} as text, so that a config
// sent by a client cannot read the gateway's environment.
func TestParseLiteral(t *testing.T) {
	t.Setenv("CROSSGATE_TEST_SECRET", "https://secret.example.com")
	data := []byte("policies: {web: {allow_origins: [https://a.example.com], allow_origin_regex: ['${CROSSGATE_TEST_SECRET}']}}\n")
	c, err := config.ParseLiteral("req", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policies["web"].AllowOriginRegex[0]; got != "${CROSSGATE_TEST_SECRET}" {
		t.Errorf("ParseLiteral substituted: %q", got)
	}
	c, err = config.Parse("file", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policies["web"].AllowOriginRegex[0]; got != "https://secret.example.com" {
		t.Errorf("Parse did not substitute: %q", got)
	}
}

// TestResourcesYAML: the YAML of resources (config pull) parses back to
// the same resources (config push), $ signs included.
func TestResourcesYAML(t *testing.T) {
	t.Setenv("CSRF_SECRET", strings.Repeat("s", 40))
	t.Setenv("X", "substituted")
	c, err := config.Load("testdata/resources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dollars := config.ResourcesOf(c).With(config.KindPolicies, "dollars",
		json.RawMessage(`{"allow_origins": ["https://a.example.com"], "allow_origin_regex": ["^https://b\\.example\\.com$", "^https://(${X})\\.example\\.com$", "^https://c$$\\.example\\.com$"], "mode": "gateway", "preflight_status": 204}`))
	want, err := dollars.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := config.ResourcesOf(want)
	data, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.Parse("pulled.yaml", data)
	if err != nil {
		t.Fatalf("the YAML does not parse: %v\n%s", err, data)
	}
	if got := config.ResourcesOf(back); !reflect.DeepEqual(got, r) {
		t.Errorf("the resources differ after YAML and back:\n%s", data)
	}
}

// TestResourcesFixtureSetsEveryField: testdata/resources.yaml gives every
// setting of a resource a value other than its zero, so that
// TestResourcesRoundTrip fails for a setting the encoding leaves out. A
// new setting needs a value there, and in ResourcesOf.
func TestResourcesFixtureSetsEveryField(t *testing.T) {
	t.Setenv("CSRF_SECRET", strings.Repeat("s", 40))
	c, err := config.Load("testdata/resources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var visit func(v reflect.Value, path string)
	visit = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				visit(v.Elem(), path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				p := v.Type().Name() + "." + f.Name
				if _, seen := set[p]; !seen {
					set[p] = false
				}
				if !v.Field(i).IsZero() {
					set[p] = true
				}
				visit(v.Field(i), p)
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				visit(v.MapIndex(k), path)
			}
		case reflect.Slice:
			for i := range v.Len() {
				visit(v.Index(i), path)
			}
		}
	}
	visit(reflect.ValueOf(c.Policies), "")
	visit(reflect.ValueOf(c.Upstreams), "")
	visit(reflect.ValueOf(c.Routes), "")
	visit(reflect.ValueOf(c.Defaults), "")
	for field, ok := range set {
		// Some fields exclude others (Path and PathPrefix, the fields of
		// a PolicyRef): each is set by some resource.
		if !ok {
			t.Errorf("no resource in testdata/resources.yaml sets %s", field)
		}
	}
}

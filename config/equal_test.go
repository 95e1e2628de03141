package config_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
)

// TestEqualSeesEveryField changes each field of a policy, upstream, route
// and CSRF setting in turn and expects Equal to tell: a field that Equal
// forgot would let a gateway keep serving a stale compiled copy.
func TestEqualSeesEveryField(t *testing.T) {
	policy := func() *config.Policy {
		return &config.Policy{AllowOrigins: []string{"https://a.example"}, AllowMethods: []string{"GET"}, MaxAge: 10, PreflightStatus: 204, Mode: config.ModeGateway}
	}
	csrf := func() *config.CSRF {
		return &config.CSRF{Mode: config.CSRFToken, ExemptPaths: []string{"/hook"}, TokenTTL: time.Hour}
	}
	tests := []struct {
		name  string
		make  func() any
		equal func(a, b any) bool
	}{
		{"policy", func() any { return policy() }, func(a, b any) bool { return a.(*config.Policy).Equal(b.(*config.Policy)) }},
		{"upstream", func() any { return &config.Upstream{Targets: []string{"http://127.0.0.1:1"}, Timeout: time.Second} },
			func(a, b any) bool { return a.(*config.Upstream).Equal(b.(*config.Upstream)) }},
		{"route", func() any {
			return &config.Route{ID: "r", Hosts: []string{"a.example"}, PathPrefix: "/", Methods: []string{"GET"}, Upstream: "u",
				CORS: &config.PolicyRef{Name: "web"}, CSRF: csrf()}
		}, func(a, b any) bool { return a.(*config.Route).Equal(b.(*config.Route)) }},
		{"policy ref", func() any { return &config.PolicyRef{Name: "web", Inline: policy()} },
			func(a, b any) bool { return a.(*config.PolicyRef).Equal(b.(*config.PolicyRef)) }},
		{"csrf", func() any { return csrf() }, func(a, b any) bool { return a.(*config.CSRF).Equal(b.(*config.CSRF)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.equal(tt.make(), tt.make()) {
				t.Fatal("two copies of the same value are not Equal")
			}
			n := reflect.TypeOf(tt.make()).Elem().NumField()
			for i := range n {
				changed := tt.make()
				f := reflect.ValueOf(changed).Elem().Field(i)
				name := reflect.TypeOf(changed).Elem().Field(i).Name
				if !f.CanSet() {
					continue
				}
				change(t, f)
				if tt.equal(tt.make(), changed) || tt.equal(changed, tt.make()) {
					t.Errorf("Equal misses a change of %s", name)
				}
			}
		})
	}
	var nilPolicy *config.Policy
	if !nilPolicy.Equal(nil) || nilPolicy.Equal(policy()) || policy().Equal(nil) {
		t.Error("a nil policy must equal only nil")
	}
}

// change gives f another value of its type.
func change(t *testing.T, f reflect.Value) {
	switch f.Kind() {
	case reflect.String:
		f.SetString(f.String() + "x")
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.Int, reflect.Int64:
		f.SetInt(f.Int() + 1)
	case reflect.Slice:
		f.Set(reflect.Append(f, reflect.ValueOf("x").Convert(f.Type().Elem())))
	case reflect.Pointer:
		if f.IsNil() {
			f.Set(reflect.New(f.Type().Elem()))
		} else {
			f.Set(reflect.Zero(f.Type()))
		}
	default:
		t.Fatalf("no way to change a %s", f.Kind())
	}
}

package config_test

import (
	"testing"

	"github.com/crossgate/crossgate/config"
)

func TestPosition(t *testing.T) {
	src := `listen: 127.0.0.1:8080
policies:
  web:
    allow_origins:
      - https://app.example.com
      - "https://*.example.com"
upstreams:
  api: {targets: [http://127.0.0.1:9001]}
routes:
  - id: api
    path_prefix: /
    upstream: api
    cors: {allow_origins: [https://inline.example.com]}
`
	c, err := config.Parse("gw.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.File(); got != "gw.yaml" {
		t.Errorf("File() = %q, want gw.yaml", got)
	}
	tests := []struct {
		name      string
		path      string
		line, col int
		ok        bool
	}{
		{"scalar at top level", "listen", 1, 9, true},
		{"mapping: its key", "policies.web", 3, 3, true},
		{"list: its key", "policies.web.allow_origins", 4, 5, true},
		{"list item", "policies.web.allow_origins[1]", 6, 9, true},
		{"route", "routes[0]", 10, 5, true},
		{"inline policy item", "routes[0].cors.allow_origins[0]", 13, 28, true},
		{"defaulted key: its parent", "policies.web.max_age", 3, 3, true},
		{"defaulted upstream timeout: its parent", "upstreams.api.timeout", 8, 3, true},
		{"nothing on the path", "defaults.cors", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col, ok := c.Position(tt.path)
			if line != tt.line || col != tt.col || ok != tt.ok {
				t.Errorf("Position(%q) = %d, %d, %v; want %d, %d, %v", tt.path, line, col, ok, tt.line, tt.col, tt.ok)
			}
		})
	}

	t.Run("config built in code", func(t *testing.T) {
		c := &config.Config{Listen: "127.0.0.1:8080"}
		if _, _, ok := c.Position("listen"); ok {
			t.Error("Position reports a place for a Config without a source")
		}
		if c.File() != "" {
			t.Errorf("File() = %q, want empty", c.File())
		}
	})
}

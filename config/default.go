package config

import (
	_ "embed"
	"slices"
)

//go:embed default.yaml
var defaultYAML []byte

// Default returns the config file that Crossgate starts from when none is
// given: one policy for a local web app, one upstream at
// http://127.0.0.1:9001 and one route sending everything to it.
func Default() []byte {
	return slices.Clone(defaultYAML)
}

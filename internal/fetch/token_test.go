package fetch_test

import (
	"testing"

	"github.com/crossgate/crossgate/internal/fetch"
)

func TestIsToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"content-type", true},
		{"X-Request-Id", true},
		{"GET", true},
		{"!#$%&'*+-.^_`|~09azAZ", true},
		{"*", true},
		{"", false},
		{"x foo", false},
		{"x;y", false},
		{`"x"`, false},
		{"x,y", false},
		{"x:y", false},
		{"(x)", false},
		{"x/y", false},
		{"x\ty", false},
		{"x\x00", false},
		{"x\x7f", false},
		{"fö", false},
		{"x\xff", false},
	}
	for _, tt := range tests {
		if got := fetch.IsToken(tt.in); got != tt.want {
			t.Errorf("IsToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

package csrf

import (
	"net/http"
	"strings"
	"testing"
)

// refCookie is a naive reading of a Cookie header: cookies separated by
// ";", each trimmed, the first "name=" wins, its value trimmed and
// unquoted.
func refCookie(lines []string, name string) (string, bool) {
	for _, line := range lines {
		for _, part := range strings.Split(line, ";") {
			n, v, ok := strings.Cut(strings.TrimLeft(part, " \t"), "=")
			if !ok || n != name {
				continue
			}
			v = strings.TrimRight(v, " \t")
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

func TestCookieValue(t *testing.T) {
	token := strings.Repeat("A", encodedToken)
	tests := []struct {
		line string
		want string
		ok   bool
	}{
		{"csrf_token=" + token, token, true},
		{"session=1; csrf_token=" + token + "; theme=dark", token, true},
		{"session=1;csrf_token=" + token, token, true},
		{"xcsrf_token=1; csrf_token=2", "2", true},
		{`csrf_token="quoted"`, "quoted", true},
		{"csrf_token=short ; x=1", "short", true},
		{"csrf_token=", "", true},
		{"other=csrf_token=1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := cookieValue(http.Header{"Cookie": {tt.line}}, DefaultCookieName)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cookieValue(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzCookieValue(f *testing.F) {
	f.Add("session=1; csrf_token=" + strings.Repeat("A", encodedToken) + "; theme=dark")
	f.Add(`csrf_token="x"`)
	f.Add("a=1;;; csrf_token=2 ;")
	f.Fuzz(func(t *testing.T, line string) {
		lines := strings.Split(line, "\n")
		got, ok := cookieValue(http.Header{"Cookie": lines}, DefaultCookieName)
		want, wantOK := refCookie(lines, DefaultCookieName)
		if ok != wantOK {
			t.Fatalf("cookieValue(%q) found %v, reference %v", lines, ok, wantOK)
		}
		// A token-length value is taken whole without trimming; anything
		// else must agree with the reference exactly.
		if got != want && !(len(got) == encodedToken && strings.TrimRight(got, " \t") == want) {
			t.Fatalf("cookieValue(%q) = %q, reference %q", lines, got, want)
		}
	})
}

func TestEqualStrings(t *testing.T) {
	for n := 0; n <= 100; n++ {
		a := strings.Repeat("x", n)
		if !equalStrings(a, a) {
			t.Fatalf("length %d: equal strings reported different", n)
		}
		for i := range n {
			b := []byte(a)
			b[i] = 'y'
			if equalStrings(a, string(b)) {
				t.Fatalf("length %d: a difference at %d not seen", n, i)
			}
		}
		if n > 0 && equalStrings(a, a[:n-1]) {
			t.Fatalf("length %d: different lengths reported equal", n)
		}
	}
}

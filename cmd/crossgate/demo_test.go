package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/demo"
)

// TestDemoCommandsWork runs each command the demo's home page shows, as
// typed after "go run ./cmd/crossgate demo" (go run ./cmd/crossgate is this
// program), and checks the verdict the page leads the reader to expect.
func TestDemoCommandsWork(t *testing.T) {
	d, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	resp, err := http.Get(d.GatewayURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	const prefix = "go run ./cmd/crossgate "
	var commands []string
	for _, pre := range regexp.MustCompile(`(?s)<pre>(.*?)</pre>`).FindAllStringSubmatch(string(page), -1) {
		for l := range strings.Lines(html.UnescapeString(pre[1])) {
			if strings.HasPrefix(l, prefix) {
				commands = append(commands, strings.TrimSpace(strings.TrimPrefix(l, prefix)))
			}
		}
	}
	// The allowed origin, the other one, a header the policy refuses, a
	// scan of a gateway with a strict policy.
	want := []int{0, 1, 1, 0}
	if len(commands) != len(want) {
		t.Fatalf("the home page shows %d commands, want %d: %q", len(commands), len(want), commands)
	}
	for i, c := range commands {
		args, err := splitWords(c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != want[i] {
			t.Errorf("%s: exit %d, want %d\n%s%s", c, code, want[i], stdout.String(), stderr.String())
		}
	}
}

// splitWords splits a command line as a shell does when it has only words
// and single-quoted strings.
func splitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			w.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, io.ErrUnexpectedEOF
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

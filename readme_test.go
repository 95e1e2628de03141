// Package readme_test runs the command blocks of README.md as written and
// compares their output with the output the README shows, so that the
// README cannot drift from the program.
//
// # How README.md is run
//
// The test copies nothing it does not need: it makes a temporary directory
// whose entries are links to the repository's (so go.mod, ./cmd/crossgate
// and the rest are there, and `go run ./cmd/crossgate ...` works as typed),
// except examples/, which is copied with its ports rewritten (below). Files
// that commands write stay in the temporary directory. A crossgate binary
// built from the tree comes first on PATH, as after `go install`. Blocks
// run in README order, each in a fresh sh in that directory; stdin is empty,
// stdout and stderr go to one stream, as in a terminal.
//
// Fenced blocks, by language:
//
//   - sh (or bash, shell): a script, run with sh -e. When the next block
//     (blank lines apart) is text or http, it is the script's expected
//     output; otherwise the script must only exit 0.
//   - console: a terminal session. A line starting with "$ " is a command
//     (a line ending in "\" continues on the next); the lines up to the next
//     command are its expected output. "$ echo $?" shows the previous
//     command's exit code. "$ cat FILE" of a FILE that does not exist yet
//     creates it from the lines shown, so a README shows a file this way
//     before using it.
//   - go: a block with "package main" is a complete program; it is built
//     (and run, with the background marker). Other go blocks are fragments
//     and are not checked here (an Example function compiles those).
//   - text, http, yaml, json, html, js: shown, not run.
//   - anything else, or no language: the test fails, unless the block is
//     marked skip.
//
// Markers are HTML comments on the line just before a block:
//
//   - <!-- readme: skip REASON -->: the block is not run; the reason is
//     required (root, the network, a long suite).
//   - <!-- readme: background ADDR... -->: the block starts a server. It is
//     started in the background and the test waits (up to 3 minutes, as go
//     run compiles) until every ADDR (host:port, ports rewritten) accepts
//     connections; it is stopped (SIGTERM to its process group, then
//     SIGKILL) at the next heading or at the end of the README.
//
// Ports: every host:port of 1024 or more in a run block, its expected
// output and the files of examples/, where the host is localhost, a
// loopback address or a reserved test name (*.test, *.example,
// *.localhost), and every "--port N", is moved by one offset, chosen so that every such port is
// outside the kernel's ephemeral range and
// free: relative distances are kept (crossgate demo --port N uses N to
// N+3), and the expected output is rewritten the same way.
//
// Comparison, after normalisation (CR removed, trailing spaces trimmed,
// timestamps and clock times become <time>, sub-second durations become
// <duration>, Go versions become <go>, the random origin of crossgate
// check's second request becomes https://<random>.example, "Date:" lines
// are dropped):
// console and text outputs must equal the output exactly; an http block
// lists lines that must appear in the output in that order, since curl -i
// prints headers (Content-Length, ...) that a README need not show.
package readme_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/syncbuf"
)

// block is a fenced code block of the README and its marker.
type block struct {
	lang   string
	text   string
	line   int    // of the opening fence, for messages
	marker string // the words after "readme:" in the comment before it, if any
	after  int    // index of the heading it follows
}

// parseREADME returns the fenced blocks of a Markdown text, with the marker
// on the line before each and the number of headings seen before it.
func parseREADME(text string) ([]block, error) {
	var blocks []block
	marker, headings := "", 0
	markerRE := regexp.MustCompile(`^<!--\s*readme:\s*(.*?)\s*-->$`)
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "```"):
			b := block{lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 1, marker: marker, after: headings}
			var body []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				body = append(body, lines[i])
			}
			if i == len(lines) {
				return nil, fmt.Errorf("README.md:%d: the block is never closed", b.line)
			}
			b.text = strings.Join(body, "\n")
			blocks = append(blocks, b)
			marker = ""
		case strings.HasPrefix(l, "#"):
			headings++
			marker = ""
		case markerRE.MatchString(l):
			marker = markerRE.FindStringSubmatch(l)[1]
		case strings.HasPrefix(l, "<!--"):
			// Another comment, such as the conventions' summary, which may
			// span lines.
			for !strings.Contains(lines[i], "-->") && i+1 < len(lines) {
				i++
			}
		case strings.TrimSpace(l) != "":
			marker = ""
		}
	}
	return blocks, nil
}

// portRE finds host:port pairs whose port the runner may move: on
// localhost, a loopback address or a reserved test name.
var portRE = regexp.MustCompile(`(\blocalhost|\b127\.0\.0\.1|\[::1\]|\b[a-z0-9.-]+\.(?:test|example|localhost)|--port)[: ](\d{4,5})\b`)

// ports moves every port of 1024 or more by one offset.
type ports struct{ offset int }

func (p ports) rewrite(s string) string {
	return portRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := portRE.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		if n < 1024 || n > 65535 {
			return m
		}
		return m[:len(sub[1])+1] + strconv.Itoa(n+p.offset)
	})
}

// choosePorts finds an offset that makes every port of texts free on
// loopback.
func choosePorts(t *testing.T, texts ...string) ports {
	t.Helper()
	seen := map[int]bool{}
	for _, s := range texts {
		for _, m := range portRE.FindAllStringSubmatch(s, -1) {
			if n, _ := strconv.Atoi(m[2]); n >= 1024 {
				seen[n] = true
			}
		}
	}
	// Moved ports stay out of the kernel's ephemeral range, from which
	// every other test's listeners on :0 and outgoing connections take
	// theirs: a port found free there can be taken before its server
	// starts.
	lo, hi := ephemeralRange()
	least, most := 65535, 0
	for n := range seen {
		least, most = min(least, n), max(most, n)
	}
	var offsets [][2]int // ranges of offsets, both ends included
	if below := lo - 1 - most; below >= 1 {
		offsets = append(offsets, [2]int{1, below})
	}
	if above := hi + 1 - least; most+above <= 65535 {
		offsets = append(offsets, [2]int{above, 65535 - most})
	}
	if len(offsets) == 0 {
		t.Fatalf("the README's ports span %d to %d: no offset keeps them out of the ephemeral range %d-%d", least, most, lo, hi)
	}
	for range 50 {
		r := offsets[rand.IntN(len(offsets))]
		offset := r[0] + rand.IntN(r[1]-r[0]+1)
		free := true
		var held []net.Listener
		for n := range seen {
			if n+offset > 65535 {
				free = false
				break
			}
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(n+offset))
			if err != nil {
				free = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if free {
			return ports{offset}
		}
	}
	t.Fatal("found no offset that frees every port of the README")
	return ports{}
}

// ephemeralRange returns the ports the kernel hands out for :0 and for
// outgoing connections (Linux's ip_local_port_range, else its default).
func ephemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			l, err1 := strconv.Atoi(f[0])
			h, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && l <= h {
				lo, hi = l, h
			}
		}
	}
	return lo, hi
}

// normalise makes the parts of an output that change from run to run
// comparable.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<time>"},
	{regexp.MustCompile(`(^|[^:\d])\d\d:\d\d:\d\d\b`), "${1}<time>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms)\b`), "<duration>"},
	{regexp.MustCompile(`"duration":\d+`), `"duration":<duration>`},
	{regexp.MustCompile(`\bgo1\.\d+(\.\d+)?`), "<go>"},
	// crossgate check asks again from a random origin.
	{regexp.MustCompile(`https://[a-z2-7]{12}\.example\b`), "https://<random>.example"},
}

func normalise(s string) []string {
	s = strings.ReplaceAll(s, "\r", "")
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	var out []string
	for l := range strings.SplitSeq(strings.Trim(s, "\n"), "\n") {
		l = strings.TrimRight(l, " \t")
		if strings.HasPrefix(l, "Date: ") || strings.HasPrefix(l, "< Date: ") {
			continue
		}
		out = append(out, l)
	}
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

// runner runs the README's blocks in one temporary directory.
type runner struct {
	t     *testing.T
	dir   string
	env   []string
	ports ports

	mu         sync.Mutex
	background []*exec.Cmd
}

func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's commands, which build and start servers")
	}
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseREADME(string(data))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, blocks)
	heading := 0
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		if b.after != heading {
			r.stopBackground()
			heading = b.after
		}
		var expected *block
		if i+1 < len(blocks) && (blocks[i+1].lang == "text" || blocks[i+1].lang == "http") && blocks[i+1].after == b.after && blocks[i+1].marker == "" {
			expected = &blocks[i+1]
		}
		if r.run(b, expected) && expected != nil {
			i++
		}
	}
	r.stopBackground()
}

func newRunner(t *testing.T, blocks []block) *runner {
	dir := t.TempDir()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, b := range blocks {
		// A skipped block is not run: its ports need not be free.
		if !strings.HasPrefix(b.marker, "skip") {
			texts = append(texts, b.text)
		}
	}
	_ = filepath.WalkDir("examples", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			texts = append(texts, string(data))
		}
		return nil
	})
	r := &runner{t: t, dir: dir, ports: choosePorts(t, texts...)}
	t.Cleanup(r.stopBackground)

	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "examples" || e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	err = filepath.WalkDir("examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, []byte(r.ports.rewrite(string(data))), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "crossgate"), "./cmd/crossgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/crossgate: %v\n%s", err, out)
	}
	r.env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return r
}

// run runs one block and reports whether it consumed the expected block.
func (r *runner) run(b block, expected *block) bool {
	t := r.t
	where := fmt.Sprintf("README.md:%d", b.line)
	word, rest, _ := strings.Cut(b.marker, " ")
	switch word {
	case "skip":
		if strings.TrimSpace(rest) == "" {
			t.Errorf("%s: a skip marker needs a reason: <!-- readme: skip REASON -->", where)
		}
		return expected != nil
	case "background", "":
	default:
		t.Errorf("%s: unknown marker %q: use skip REASON or background ADDR...", where, b.marker)
		return false
	}
	background := word == "background"
	text := r.ports.rewrite(b.text)
	switch b.lang {
	case "sh", "bash", "shell":
		if background {
			r.startBackground(where, []string{"sh", "-c", text}, strings.Fields(r.ports.rewrite(rest)))
			return false
		}
		out, err := r.shell(text, true)
		if err != nil {
			t.Errorf("%s: %v\n%s", where, err, out)
			return expected != nil
		}
		if expected != nil {
			r.compare(where, out, r.ports.rewrite(expected.text), expected.lang == "http")
			return true
		}
	case "console":
		if background {
			t.Errorf("%s: a console block cannot run in the background; use a sh block", where)
			return false
		}
		r.console(where, text)
	case "go":
		if !regexp.MustCompile(`(?m)^package main$`).MatchString(text) {
			return false
		}
		exe := r.buildProgram(where, b.line, text)
		if exe != "" && background {
			r.startBackground(where, []string{exe}, strings.Fields(r.ports.rewrite(rest)))
		}
	case "text", "http", "yaml", "json", "html", "js", "javascript":
		if background {
			t.Errorf("%s: a %s block is not run; the background marker needs a sh or go block", where, b.lang)
		}
	default:
		t.Errorf("%s: a block in %q cannot be run: write sh, console or go, mark it as shown only (text, yaml, ...), or add <!-- readme: skip REASON -->", where, b.lang)
	}
	return false
}

// shell runs a script with sh (-e when strict) in the directory and returns
// its output.
func (r *runner) shell(script string, strict bool) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"-c", script}
	if strict {
		args = []string{"-e", "-c", script}
	}
	cmd := exec.CommandContext(ctx, "sh", args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// consoleMark separates the commands' outputs in a console session's
// output.
const consoleMark = "@@readme-command@@"

// console runs a console block's commands in one shell and compares each
// one's output.
func (r *runner) console(where, text string) {
	type command struct{ line, expected string }
	var cmds []command
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "$ ") {
			if len(cmds) == 0 {
				r.t.Errorf("%s: a console block starts with a command (\"$ \"), not %q", where, l)
				return
			}
			cmds[len(cmds)-1].expected += l + "\n"
			continue
		}
		c := strings.TrimPrefix(l, "$ ")
		for strings.HasSuffix(c, "\\") && i+1 < len(lines) {
			i++
			c += "\n" + lines[i]
		}
		cmds = append(cmds, command{line: c})
	}
	var script strings.Builder
	for _, c := range cmds {
		if name, ok := strings.CutPrefix(c.line, "cat "); ok && regexp.MustCompile(`^[\w.-]+$`).MatchString(name) {
			path := filepath.Join(r.dir, name)
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				if err := os.WriteFile(path, []byte(c.expected), 0o644); err != nil {
					r.t.Fatal(err)
				}
			}
		}
		// The mark keeps $? for a following "echo $?".
		fmt.Fprintf(&script, "readme_status=$?; printf '\\n%s\\n'; (exit $readme_status)\n%s\n", consoleMark, c.line)
	}
	out, _ := r.shell(script.String(), false)
	parts := strings.Split(out, "\n"+consoleMark+"\n")
	if len(parts) != len(cmds)+1 {
		r.t.Errorf("%s: the session ended early:\n%s", where, out)
		return
	}
	for i, c := range cmds {
		r.compare(fmt.Sprintf("%s: $ %s", where, strings.SplitN(c.line, "\n", 2)[0]), parts[i+1], c.expected, false)
	}
}

// compare checks an output against the README's. With subsequence, the
// README's lines must appear in the output in order; otherwise the two must
// be equal.
func (r *runner) compare(where, got, want string, subsequence bool) {
	g, w := normalise(got), normalise(want)
	if subsequence {
		i := 0
		for _, l := range g {
			if i < len(w) && l == w[i] {
				i++
			}
		}
		if i < len(w) {
			r.t.Errorf("%s: the output lacks %q (or has it out of order); the output:\n%s", where, w[i], strings.Join(g, "\n"))
		}
		return
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		r.t.Errorf("%s: the output differs from the README's.\n--- README\n%s\n--- output\n%s", where, strings.Join(w, "\n"), strings.Join(g, "\n"))
	}
}

// buildProgram builds a go block that is a complete program and returns the
// executable, or "" when it does not build.
func (r *runner) buildProgram(where string, line int, text string) string {
	name := fmt.Sprintf("readme-program-%d", line)
	src := filepath.Join(r.dir, name)
	if err := os.MkdirAll(src, 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(text+"\n"), 0o644); err != nil {
		r.t.Fatal(err)
	}
	exe := filepath.Join(src, "program")
	out, err := r.shell("go build -o "+exe+" ./"+name, true)
	if err != nil {
		r.t.Errorf("%s: the program does not build: %v\n%s", where, err, out)
		return ""
	}
	return exe
}

// startBackground starts a server and waits until every address accepts
// connections.
func (r *runner) startBackground(where string, argv []string, addrs []string) {
	if len(addrs) == 0 {
		r.t.Errorf("%s: the background marker names no address to wait for: <!-- readme: background 127.0.0.1:8080 -->", where)
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		r.t.Errorf("%s: %v", where, err)
		return
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	r.mu.Lock()
	r.background = append(r.background, cmd)
	r.mu.Unlock()
	deadline := time.Now().Add(3 * time.Minute)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				r.t.Errorf("%s: the server exited before it listened on %s:\n%s", where, a, log.String())
				return
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				r.t.Errorf("%s: nothing listens on %s after 3 minutes:\n%s", where, a, log.String())
				return
			}
		}
	}
}

// stopBackground stops the servers the blocks started: SIGTERM to each
// process group, then SIGKILL after 5 s.
func (r *runner) stopBackground() {
	r.mu.Lock()
	cmds := r.background
	r.background = nil
	r.mu.Unlock()
	for _, cmd := range cmds {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	for _, cmd := range cmds {
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-cmd.Process.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// TestParseREADME checks the runner's reading of the conventions on a
// README of its own.
func TestParseREADME(t *testing.T) {
	text := "# T\n\n<!-- readme: background 127.0.0.1:8080 -->\n```sh\nserve\n```\n\n## Next\n\n```console\n$ a \\\n  b\nout\n```\n<!-- readme: skip needs root -->\n\n```sh\nsudo x\n```\n"
	blocks, err := parseREADME(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3", len(blocks))
	}
	if b := blocks[0]; b.lang != "sh" || b.marker != "background 127.0.0.1:8080" || b.after != 1 || b.line != 4 {
		t.Errorf("first block %+v", b)
	}
	if b := blocks[1]; b.lang != "console" || b.marker != "" || b.after != 2 || b.text != "$ a \\\n  b\nout" {
		t.Errorf("second block %+v", b)
	}
	if b := blocks[2]; b.marker != "skip needs root" {
		t.Errorf("third block %+v: the marker reaches it across a blank line", b)
	}
	if _, err := parseREADME("```sh\nopen\n"); err == nil {
		t.Error("an unclosed block: want an error")
	}
	p := ports{offset: 1000}
	if got, want := p.rewrite("curl http://127.0.0.1:8080/x --resolve api.example.test:9300:127.0.0.1; f.yaml:1024:5; localhost:80; demo --port 8080 [::1]:8080"), "curl http://127.0.0.1:9080/x --resolve api.example.test:10300:127.0.0.1; f.yaml:1024:5; localhost:80; demo --port 9080 [::1]:9080"; got != want {
		t.Errorf("rewrite:\n got %s\nwant %s", got, want)
	}
	if got := normalise("Date: Mon\r\n10:42:07 GET / 2026-12-07T10:42:07.5Z took 1.5ms on go1.26.8  \n"); strings.Join(got, "|") != "<time> GET / <time> took <duration> on <go>" {
		t.Errorf("normalise: %q", got)
	}
}

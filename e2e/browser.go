package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultExecPath is where Debian's chromium package installs the browser.
const DefaultExecPath = "/usr/bin/chromium"

// callTimeout bounds a call whose context has no deadline, so that a hung
// page cannot stall a test run.
const callTimeout = 30 * time.Second

// ErrNoChromium reports that the Chromium binary is not installed.
var ErrNoChromium = errors.New("e2e: chromium is not installed")

// Options configure Launch. The zero value launches $CHROMIUM or
// /usr/bin/chromium and resolves every *.test host name to 127.0.0.1.
type Options struct {
	// ExecPath is the browser binary. Empty means $CHROMIUM, then
	// DefaultExecPath.
	ExecPath string
	// Hosts are the host names the browser resolves to 127.0.0.1, each a name
	// ("app.example.test") or a pattern ("*.test"). Empty means "*.test".
	// Other names, localhost included, resolve as usual.
	Hosts []string
	// IgnoreCertificateErrors makes the browser accept any TLS certificate,
	// such as the self-signed one of NewTLSServer. It is for test servers
	// only: it also hides certificate errors a test might mean to see.
	IgnoreCertificateErrors bool
	// Output receives the browser's stdout and stderr; nil discards them.
	Output io.Writer
}

// A Browser is a headless Chromium process with a fresh profile. It is safe
// for concurrent use: calls for different pages run in parallel in their own
// tabs, and calls for the same page take turns in one tab. At most 8 tabs stay
// open; opening another closes the least recently used. All tabs share one
// profile, hence one HTTP cache, cookie jar and preflight cache: tests that
// must not see each other's preflights use distinct URLs.
type Browser struct {
	dataDir       string
	allocCancel   context.CancelFunc
	browserCtx    context.Context
	browserCancel context.CancelFunc

	mu     sync.Mutex
	tabs   map[string]*tab
	uses   uint64
	closed bool
}

// Launch starts Chromium headless with a temporary profile directory. The
// browser runs until Close, which also removes the directory; ctx bounds the
// start only. If Chromium is missing, the error wraps ErrNoChromium and says
// how to install it.
func Launch(ctx context.Context, opts Options) (*Browser, error) {
	path := opts.ExecPath
	if path == "" {
		path = os.Getenv("CHROMIUM")
	}
	if path == "" {
		path = DefaultExecPath
	}
	if _, err := exec.LookPath(path); err != nil {
		return nil, fmt.Errorf("%w at %s (%v): run scripts/install-test-deps.sh as root, or set CHROMIUM to the binary", ErrNoChromium, path, err)
	}
	rules, err := resolverRules(opts.Hosts)
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "crossgate-e2e-")
	if err != nil {
		return nil, fmt.Errorf("e2e: profile directory: %w", err)
	}

	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("host-resolver-rules", rules),
		chromedp.UserDataDir(dataDir),
	}
	if opts.IgnoreCertificateErrors {
		flags = append(flags, chromedp.Flag("ignore-certificate-errors", true))
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	flags = append(flags, chromedp.CombinedOutput(out))

	// The browser must outlive ctx, which only bounds the start.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), flags...)
	browserCtx, browserCancel := chromedp.NewContext(allocCtx)
	stop := context.AfterFunc(ctx, browserCancel)
	err = chromedp.Do(browserCtx)
	if !stop() || err != nil {
		browserCancel()
		allocCancel()
		os.RemoveAll(dataDir)
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("e2e: start %s: %w", path, err)
	}
	return &Browser{
		dataDir:       dataDir,
		allocCancel:   allocCancel,
		browserCtx:    browserCtx,
		browserCancel: browserCancel,
		tabs:          make(map[string]*tab),
	}, nil
}

// LaunchTest launches a browser for t and closes it when t ends. When
// Chromium is missing it skips t, or fails t if the CI environment variable is
// set, so that a CI machine without a browser cannot pass by skipping.
func LaunchTest(t testing.TB, opts Options) *Browser {
	t.Helper()
	b, err := Launch(context.Background(), opts)
	switch {
	case errors.Is(err, ErrNoChromium) && os.Getenv("CI") == "":
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// resolverRules builds the --host-resolver-rules value that sends hosts to
// the loopback address.
func resolverRules(hosts []string) (string, error) {
	if len(hosts) == 0 {
		hosts = []string{"*.test"}
	}
	rules := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, ", \t\r\n:/") {
			return "", fmt.Errorf("e2e: Options.Hosts: %q is not a host name or *.pattern", h)
		}
		rules = append(rules, "MAP "+h+" 127.0.0.1")
	}
	return strings.Join(rules, ", "), nil
}

// Close ends the browser and removes its profile directory. Calls in progress
// fail. Close is idempotent.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	tabs := b.tabs
	b.tabs = nil
	b.mu.Unlock()

	for _, t := range tabs {
		t.cancel()
	}
	// Cancel needs a context that carries the browser.
	shutdown, cancel := context.WithTimeout(b.browserCtx, 5*time.Second)
	defer cancel()
	chromedp.Cancel(shutdown)
	b.browserCancel()
	b.allocCancel()
	if err := os.RemoveAll(b.dataDir); err != nil {
		return fmt.Errorf("e2e: remove profile: %w", err)
	}
	return nil
}

// maxTabs bounds the open tabs. Each page origin can cost a renderer
// process, and a suite that serves each scenario on its own port would
// otherwise open one tab per scenario.
const maxTabs = 8

// A tab is a browser tab bound to one page URL.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	rec    *recorder

	// mu makes the calls on the tab take turns: the recorder attributes
	// events to the call in progress.
	mu sync.Mutex
	// closed reports that the tab was evicted; a caller that got it just
	// before must open another.
	closed bool
	// loaded reports whether the tab shows its page untouched by scripts
	// that could have navigated it.
	loaded bool
	// used orders tabs for eviction; it is guarded by Browser.mu.
	used uint64
}

// tab returns the tab for pageURL, opening it on first use and closing the
// least recently used tab when maxTabs are open.
func (b *Browser) tab(pageURL string) (*tab, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("e2e: browser is closed")
	}
	b.uses++
	if t, ok := b.tabs[pageURL]; ok {
		t.used = b.uses
		return t, nil
	}
	if len(b.tabs) >= maxTabs {
		oldest := ""
		for u, t := range b.tabs {
			if oldest == "" || t.used < b.tabs[oldest].used {
				oldest = u
			}
		}
		old := b.tabs[oldest]
		delete(b.tabs, oldest)
		// Wait for the call in progress on it, if any, off the lock.
		go func() {
			old.mu.Lock()
			defer old.mu.Unlock()
			old.closed = true
			old.cancel()
		}()
	}
	rec := newRecorder()
	ctx, cancel := chromedp.NewContext(b.browserCtx, chromedp.WithListener(rec.handle))
	// The first run creates the target, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("e2e: open tab: %w", err)
	}
	t := &tab{ctx: ctx, cancel: cancel, rec: rec, used: b.uses}
	b.tabs[pageURL] = t
	return t, nil
}

// lockTab returns the tab for pageURL, locked for one call.
func (b *Browser) lockTab(pageURL string) (*tab, error) {
	// A tab is evicted only after maxTabs newer uses, so a second attempt
	// finds a fresh one unless maxTabs other pages are opened meanwhile.
	for range 3 {
		t, err := b.tab(pageURL)
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		if !t.closed {
			return t, nil
		}
		t.mu.Unlock()
	}
	return nil, fmt.Errorf("e2e: tab for %s keeps being evicted: more than %d pages in use at once", pageURL, maxTabs)
}

// run runs fn on the tab for pageURL with the page loaded, under ctx, and
// returns what DevTools saw while fn ran. dirty says that fn may have left
// the page, so the next call reloads it.
func (b *Browser) run(ctx context.Context, pageURL string, dirty bool, fn func(ctx context.Context) error) (Trace, error) {
	t, err := b.lockTab(pageURL)
	if err != nil {
		return Trace{}, err
	}
	defer t.mu.Unlock()

	// A call context derives from the tab's, so that chromedp finds the
	// target, and ends with the caller's.
	callCtx, cancel := context.WithTimeout(t.ctx, callTimeout)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	if deadline, ok := ctx.Deadline(); ok {
		var cancelDeadline context.CancelFunc
		callCtx, cancelDeadline = context.WithDeadline(callCtx, deadline)
		defer cancelDeadline()
	}

	if !t.loaded {
		if err := navigate(callCtx, pageURL); err != nil {
			return Trace{}, err
		}
		t.loaded = true
	}
	if dirty {
		t.loaded = false
	}
	t.rec.begin()
	err = fn(callCtx)
	if err == nil {
		t.rec.settle(callCtx)
	}
	return t.rec.end(), err
}

// navigate loads pageURL in the tab of ctx. A navigation that a previous
// script started (a form submission) can still be in flight and abort this
// one, so an aborted load is retried a few times.
func navigate(ctx context.Context, pageURL string) error {
	var err error
	for range 3 {
		err = chromedp.Do(ctx, chromedp.Navigate(pageURL))
		if err == nil || !strings.Contains(err.Error(), "net::ERR_ABORTED") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("e2e: open page %s: %w", pageURL, err)
	}
	return nil
}

// Eval runs the JavaScript expression js in the page pageURL and, if result
// is not nil, decodes the expression's value into it as encoding/json does. A
// promise is awaited; a thrown exception or rejected promise is an error. The
// page is reloaded before the next call on it, so js may navigate (submit a
// form, follow a link).
func (b *Browser) Eval(ctx context.Context, pageURL, js string, result any) (Trace, error) {
	return b.run(ctx, pageURL, true, func(ctx context.Context) error {
		return evaluate(ctx, pageURL, js, result)
	})
}

// Load loads the page pageURL afresh and then runs js as Eval does. Its
// Trace starts before the page loads, so it holds what the loading itself
// logged: a script error, a resource refused by the page's
// Content-Security-Policy, a failed request. js must not navigate: the
// page stays as js leaves it, for EvalInPlace.
func (b *Browser) Load(ctx context.Context, pageURL, js string, result any) (Trace, error) {
	return b.run(ctx, pageURL, false, func(ctx context.Context) error {
		// By way of a blank page, so that a URL with a fragment loads
		// again instead of scrolling.
		if err := navigate(ctx, "about:blank"); err != nil {
			return err
		}
		if err := navigate(ctx, pageURL); err != nil {
			return err
		}
		return evaluate(ctx, pageURL, js, result)
	})
}

// EvalInPlace runs js as Eval does, in the page pageURL as the previous
// call left it, without reloading it first or after: for pages whose state
// is the test's subject, such as a page that receives a live stream. js
// must not navigate.
func (b *Browser) EvalInPlace(ctx context.Context, pageURL, js string, result any) (Trace, error) {
	return b.run(ctx, pageURL, false, func(ctx context.Context) error {
		return evaluate(ctx, pageURL, js, result)
	})
}

func evaluate(ctx context.Context, pageURL, js string, result any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("e2e: eval in %s: %w", pageURL, err)
	}
	if result == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("e2e: eval in %s: decode result: %w", pageURL, err)
	}
	return nil
}

// ScreenshotSize returns a PNG of the page pageURL as it is now, opening it
// if no call has yet, with the tab's viewport width by height CSS pixels.
// The viewport stays so for the tab's later calls.
func (b *Browser) ScreenshotSize(ctx context.Context, pageURL string, width, height int64) ([]byte, error) {
	var png []byte
	_, err := b.run(ctx, pageURL, false, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
			return err
		}
		var err error
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		return err
	})
	return png, err
}

// Screenshot returns a PNG of the page pageURL as it is now, opening it if no
// call has yet.
func (b *Browser) Screenshot(ctx context.Context, pageURL string) ([]byte, error) {
	var png []byte
	_, err := b.run(ctx, pageURL, false, func(ctx context.Context) error {
		var err error
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		return err
	})
	return png, err
}

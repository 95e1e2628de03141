package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Store is where a gateway reads config snapshots from: a file now, a
// cluster store such as etcd later.
//
// Change notification is level-triggered: Watch says that the snapshot may
// have changed, and Load returns the latest one. A store that receives
// whole snapshots (etcd, after rebuilding and validating its resources)
// keeps the newest and serves it from Load, so a slow reader skips
// intermediate versions instead of queueing them, and never acts on a
// stale one.
type Store interface {
	// Load returns the store's current snapshot, parsed and validated.
	// When the snapshot is invalid the error is an Errors, and the caller
	// keeps the last good one.
	Load(ctx context.Context) (*Config, error)

	// Watch starts watching for changes. The channel receives a value
	// after each change since Watch was called; changes that arrive before
	// the previous one is received collapse into one value. Call Watch
	// before the first Load so that no change falls in between. The
	// channel is closed when ctx is done, or earlier if the store can no
	// longer watch.
	Watch(ctx context.Context) (<-chan struct{}, error)
}

// DefaultDebounce is how long a FileStore waits for a file to stop
// changing before it reports the change.
const DefaultDebounce = 100 * time.Millisecond

// FileStore is a Store that reads one config file.
//
// It watches the file's directory rather than the file, because editors
// save by writing a new file and renaming it over the old one, and
// Kubernetes updates a mounted ConfigMap by swapping a symbolic link: in
// both cases a watch on the file itself goes silent. When the path is a
// symbolic link, the directory of its target is watched too. A change is
// reported once the file has been quiet for Debounce and its content
// differs from what was last reported.
type FileStore struct {
	// Path is the config file.
	Path string
	// Debounce is how long the file must be quiet before a change is
	// reported; DefaultDebounce when zero.
	Debounce time.Duration
}

// Load reads and parses the file.
func (s *FileStore) Load(ctx context.Context) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Load(s.Path)
}

// Watch reports changes to the file's content, including its removal and
// reappearance.
func (s *FileStore) Watch(ctx context.Context) (<-chan struct{}, error) {
	path, err := filepath.Abs(s.Path)
	if err != nil {
		return nil, fmt.Errorf("config: watch %s: %w", s.Path, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("config: watch %s: %w", s.Path, err)
	}
	fw := &fileWatch{path: path, w: w, dirs: make(map[string]bool)}
	if err := fw.watchDirs(); err != nil {
		w.Close()
		return nil, fmt.Errorf("config: watch %s: %w", s.Path, err)
	}
	debounce := s.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	// The baseline is taken before Watch returns, so that a change made
	// right after is reported.
	fw.changed()
	ch := make(chan struct{}, 1)
	go fw.run(ctx, debounce, ch)
	return ch, nil
}

type fileWatch struct {
	path    string // absolute
	target  string // path with symbolic links resolved, when it resolves
	content [sha256.Size]byte
	missing bool
	w       *fsnotify.Watcher
	dirs    map[string]bool // watched directories
}

func (fw *fileWatch) run(ctx context.Context, debounce time.Duration, ch chan<- struct{}) {
	defer close(ch)
	defer fw.w.Close()
	quiet := time.NewTimer(debounce)
	quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.w.Events:
			if !ok {
				return
			}
			if fw.relevant(ev.Name) {
				quiet.Reset(debounce)
			}
		case _, ok := <-fw.w.Errors:
			if !ok {
				return
			}
			// An overflowed event queue may have hidden a change: look.
			quiet.Reset(debounce)
		case <-quiet.C:
			// A Kubernetes-style swap moves the target to a new
			// directory; follow it. A failure leaves the main directory
			// watched, which still sees the next swap.
			_ = fw.watchDirs()
			if fw.changed() {
				select {
				case ch <- struct{}{}:
				default: // a notification is already pending
				}
			}
		}
	}
}

// relevant reports whether an event in a watched directory may concern the
// file: the file itself, its current target, or a change of the target.
func (fw *fileWatch) relevant(name string) bool {
	name = filepath.Clean(name)
	if name == fw.path || name == fw.target {
		return true
	}
	target, _ := filepath.EvalSymlinks(fw.path)
	return target != fw.target
}

// watchDirs watches the directories of the path and of its target.
func (fw *fileWatch) watchDirs() error {
	fw.target, _ = filepath.EvalSymlinks(fw.path)
	want := map[string]bool{filepath.Dir(fw.path): true}
	if fw.target != "" {
		want[filepath.Dir(fw.target)] = true
	}
	for dir := range fw.dirs {
		if !want[dir] {
			_ = fw.w.Remove(dir) // it may be gone already
			delete(fw.dirs, dir)
		}
	}
	var errs []error
	for dir := range want {
		if fw.dirs[dir] {
			continue
		}
		if err := fw.w.Add(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		fw.dirs[dir] = true
	}
	if !fw.dirs[filepath.Dir(fw.path)] {
		return errors.Join(errs...)
	}
	return nil
}

// changed records the file's content and reports whether it differs from
// the content last recorded.
func (fw *fileWatch) changed() bool {
	data, err := os.ReadFile(fw.path)
	missing := errors.Is(err, fs.ErrNotExist)
	sum := sha256.Sum256(data)
	if err != nil && !missing {
		// Unreadable for now (permissions mid-update): report it, so the
		// reader's Load says why.
		sum = sha256.Sum256([]byte(err.Error()))
	}
	changed := sum != fw.content || missing != fw.missing
	fw.content, fw.missing = sum, missing
	return changed
}

// StaticStore is a Store of one config held in memory, such as the embedded
// Default; it never changes, so its Watch channel only closes.
type StaticStore struct {
	// Name stands for the file name in error positions.
	Name string
	Data []byte
}

// Load parses the config.
func (s *StaticStore) Load(ctx context.Context) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Parse(s.Name, s.Data)
}

// Watch returns a channel that closes when ctx is done.
func (s *StaticStore) Watch(ctx context.Context) (<-chan struct{}, error) {
	ch := make(chan struct{})
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch, nil
}

package config_test

import (
	"context"
	"testing"
	"time"

	"github.com/crossgate/crossgate/config"
)

func TestStaticStore(t *testing.T) {
	s := &config.StaticStore{Name: "embedded default", Data: config.Default()}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("the embedded default does not load: %v", err)
	}
	if len(cfg.Routes) == 0 || cfg.Listen == "" {
		t.Errorf("embedded default: %d routes, listen %q", len(cfg.Routes), cfg.Listen)
	}
	select {
	case <-ch:
		t.Fatal("a static store reported a change")
	default:
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("Watch sent a change instead of closing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not close when its context ended")
	}
	bad := &config.StaticStore{Name: "bad", Data: []byte("listen: [\n")}
	if _, err := bad.Load(context.Background()); err == nil {
		t.Error("an invalid static config loaded")
	}
}

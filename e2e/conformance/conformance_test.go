package conformance_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/e2e/conformance"
)

// The tally of scenarios, printed after the run.
var passed, failed atomic.Int64

func TestMain(m *testing.M) {
	code := m.Run()
	if passed.Load()+failed.Load() > 0 {
		fmt.Printf("conformance: %d passed, %d failed\n", passed.Load(), failed.Load())
	}
	os.Exit(code)
}

// maxParallelPages bounds the pages that run scenarios at once: the browser
// keeps 8 tabs open, one per page, and the machine has few cores.
const maxParallelPages = 4

func TestConformance(t *testing.T) {
	scenarios := conformance.Scenarios()
	if len(scenarios) < 60 {
		t.Fatalf("the suite has %d scenarios, want at least 60", len(scenarios))
	}
	env := conformance.NewEnv(t, scenarios)

	// Scenarios of one page share its tab and run in order; pages run in
	// parallel.
	var order []string
	byPage := map[string][]int{}
	for i, sc := range scenarios {
		if _, ok := byPage[sc.Page]; !ok {
			order = append(order, sc.Page)
		}
		byPage[sc.Page] = append(byPage[sc.Page], i)
	}
	slots := make(chan struct{}, maxParallelPages)
	t.Run("page", func(t *testing.T) {
		for _, page := range order {
			t.Run(page, func(t *testing.T) {
				t.Parallel()
				slots <- struct{}{}
				defer func() { <-slots }()
				for _, i := range byPage[page] {
					sc := env.Scenario(i)
					t.Run(sc.Name, func(t *testing.T) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						out, err := env.Run(ctx, i)
						if err != nil {
							failed.Add(1)
							t.Fatalf("scenario %q could not run: %v", sc.Name, err)
						}
						diffs := out.Check(env.Want(i))
						if len(diffs) == 0 {
							passed.Add(1)
							return
						}
						failed.Add(1)
						want := env.Want(i)
						console := out.Console
						if console == "" {
							console = "(no CORS message)"
						}
						t.Errorf("scenario %q (route /%s/, page %s):\n  expected: %s\n  observed: %s\n  %s\n  console: %s",
							sc.Name, conformance.ID(i), page, want.String(), out.String(), strings.Join(diffs, "\n  "), console)
					})
				}
			})
		}
	})

	// Shadow mode changes nothing the browser sees, so its promise is in
	// the metrics: the request the upstream allowed and the gateway's
	// policy would refuse is counted on its route.
	t.Run("shadow mode counts the disagreement", func(t *testing.T) {
		route := ""
		for i, sc := range scenarios {
			if strings.HasPrefix(sc.Name, "shadow mode: the upstream's verdict stands") {
				route = conformance.ID(i)
			}
		}
		if env.Gateway.Recorder.Count("", "/"+route+"/own-cors") == 0 {
			t.Skip("the shadow scenario did not run")
		}
		families, err := env.Gateway.Metrics().Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for _, f := range families {
			if f.GetName() != "crossgate_cors_shadow_disagreements_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && l.GetValue() == route {
						total += m.GetCounter().GetValue()
					}
				}
			}
		}
		if total < 1 {
			failed.Add(1)
			t.Errorf("crossgate_cors_shadow_disagreements_total{route=%q} = %v, want at least 1", route, total)
			return
		}
		passed.Add(1)
	})
}

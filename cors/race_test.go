//go:build race

package cors_test

// raceEnabled reports whether the race detector is on. It makes sync.Pool
// drop items at random, so allocation counts mean nothing under it.
const raceEnabled = true

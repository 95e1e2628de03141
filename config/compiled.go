package config

import (
	"slices"
	"sync"

	"github.com/crossgate/crossgate/cors"
)

// compiledPolicies remembers the CORS policies validation compiled, so that
// validating a config again (lint does) and building a gateway from it do
// not compile 1,000 policies twice more. A policy is found by its address
// and taken only if it still equals the copy made when it was compiled: a
// Config is never edited, but a copy of one may be, and shares this memory.
type compiledPolicies struct {
	mu sync.Mutex
	m  map[*Policy]compiledPolicy
}

type compiledPolicy struct {
	from   Policy // a deep copy of what was compiled
	policy *cors.Policy
	err    error
}

// CORSPolicy returns p, one of c's policies, compiled: the cors.Policy that
// validating c compiled, when p has not changed since, else a new one.
func (c *Config) CORSPolicy(p *Policy) (*cors.Policy, error) {
	if c.compiled == nil {
		return cors.New(p.CORSConfig())
	}
	c.compiled.mu.Lock()
	e, ok := c.compiled.m[p]
	c.compiled.mu.Unlock()
	if ok && e.from.Equal(p) {
		return e.policy, e.err
	}
	pol, err := cors.New(p.CORSConfig())
	from := *p
	for _, l := range []*[]string{&from.AllowOrigins, &from.AllowOriginRegex, &from.AllowMethods, &from.AllowHeaders, &from.ExposeHeaders} {
		*l = slices.Clone(*l)
	}
	c.compiled.mu.Lock()
	c.compiled.m[p] = compiledPolicy{from: from, policy: pol, err: err}
	c.compiled.mu.Unlock()
	return pol, err
}

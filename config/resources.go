package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Kind is a kind of resource that a cluster shares: the collections of the
// config file that a cluster store holds one value per entry of.
type Kind string

// Kinds of resources, named as the config file's keys.
const (
	KindPolicies  Kind = "policies"
	KindUpstreams Kind = "upstreams"
	KindRoutes    Kind = "routes"
)

// Kinds lists every Kind.
var Kinds = []Kind{KindPolicies, KindUpstreams, KindRoutes}

// Resources are the parts of a config that the nodes of a cluster share:
// its policies, upstreams, routes and defaults, each a JSON value with the
// config file's keys (a route without its id, which is its name here). The
// node's own file gives the rest: listen, tls, admin and metrics.
//
// Values are literal: unlike the config file's, their ${NAME} is not
// replaced from the environment, so that what one node stores means the
// same on every node, and no value can read a node's environment.
type Resources struct {
	Policies  map[string]json.RawMessage
	Upstreams map[string]json.RawMessage
	Routes    map[string]json.RawMessage
	// Defaults is the value of defaults; nil when there is none.
	Defaults json.RawMessage

	// Revision and Versions are set by a ResourceStore: the store's
	// revision these were read at, and the version of each resource, by
	// VersionKey, which changes whenever the resource does (an ETag).
	Revision int64
	Versions map[string]int64
}

// VersionKey is the key of the resource k/id in Resources.Versions.
func VersionKey(k Kind, id string) string { return string(k) + "/" + id }

// Of returns the resources of kind k.
func (r *Resources) Of(k Kind) map[string]json.RawMessage {
	switch k {
	case KindPolicies:
		return r.Policies
	case KindUpstreams:
		return r.Upstreams
	case KindRoutes:
		return r.Routes
	}
	return nil
}

// With returns a copy of r in which the resource k/id has the value v, or
// is absent when v is nil.
func (r *Resources) With(k Kind, id string, v json.RawMessage) *Resources {
	out := &Resources{
		Policies:  maps.Clone(r.Policies),
		Upstreams: maps.Clone(r.Upstreams),
		Routes:    maps.Clone(r.Routes),
		Defaults:  r.Defaults,
		Revision:  r.Revision,
		Versions:  r.Versions,
	}
	m := out.Of(k)
	if m == nil {
		m = make(map[string]json.RawMessage)
		switch k {
		case KindPolicies:
			out.Policies = m
		case KindUpstreams:
			out.Upstreams = m
		case KindRoutes:
			out.Routes = m
		}
	}
	if v == nil {
		delete(m, id)
	} else {
		m[id] = v
	}
	return out
}

// ResourceSource is the name a config built from Resources gives as its
// file in errors and lint findings.
const ResourceSource = "cluster"

// Config builds the snapshot of these resources for a node whose own file
// is node (nil for none), and validates it as Parse does; the error is an
// Errors. Error paths name routes by id ("routes.users.upstream"), and
// their positions, which would be in a document nobody wrote, are left
// out.
func (r *Resources) Config(node *Config) (*Config, error) {
	doc, err := r.document()
	if err != nil {
		return nil, err
	}
	c, err := ParseLiteral(ResourceSource, doc)
	if err != nil {
		if es, ok := err.(Errors); ok {
			ids := slices.Sorted(maps.Keys(r.Routes))
			for _, e := range es {
				e.Line, e.Col = 0, 0
				e.Path = routePath(e.Path, ids)
			}
			return nil, es.sorted()
		}
		return nil, err
	}
	c.pos = nil
	if node != nil {
		c.Listen, c.TLS, c.Admin, c.Metrics = node.Listen, node.TLS, node.Admin, node.Metrics
	}
	return c, nil
}

// RoutePath rewrites a path that names a route by its index in c.Routes,
// "routes[2].upstream", to name it by its id, "routes.users.upstream", as
// the resources of a cluster do.
func (c *Config) RoutePath(path string) string {
	ids := make([]string, len(c.Routes))
	for i, rt := range c.Routes {
		ids[i] = rt.ID
	}
	return routePath(path, ids)
}

func routePath(path string, ids []string) string {
	rest, ok := strings.CutPrefix(path, "routes[")
	if !ok {
		return path
	}
	n, tail, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(ids) || ids[i] == "" {
		return path
	}
	return "routes." + ids[i] + tail
}

// document assembles the resources into one JSON config document, which
// is also YAML, for Parse. Routes are sorted by id; the config's routes
// are matched by their specificity, not their order.
func (r *Resources) document() ([]byte, error) {
	for _, k := range Kinds {
		for _, id := range slices.Sorted(maps.Keys(r.Of(k))) {
			if !json.Valid(r.Of(k)[id]) {
				return nil, Errors{{File: ResourceSource, Path: string(k) + "." + id, Msg: fmt.Sprintf("%s %q: the value is not valid JSON", k, id)}}
			}
		}
	}
	if r.Defaults != nil && !json.Valid(r.Defaults) {
		return nil, Errors{{File: ResourceSource, Path: "defaults", Msg: "defaults: the value is not valid JSON"}}
	}
	doc := make(map[string]any)
	for _, k := range []Kind{KindPolicies, KindUpstreams} {
		if m := r.Of(k); len(m) > 0 {
			doc[string(k)] = m
		}
	}
	if len(r.Routes) > 0 {
		var routes []json.RawMessage
		for _, id := range slices.Sorted(maps.Keys(r.Routes)) {
			v, err := withID(r.Routes[id], id)
			if err != nil {
				return nil, Errors{{File: ResourceSource, Path: "routes." + id, Msg: fmt.Sprintf("route %q: %v", id, err)}}
			}
			routes = append(routes, v)
		}
		doc["routes"] = routes
	}
	if r.Defaults != nil {
		doc["defaults"] = r.Defaults
	}
	// Every value is valid JSON, so the document encodes.
	return json.Marshal(doc)
}

// withID returns a route's value with its id: the route's own, which must
// then be id, or id.
func withID(v json.RawMessage, id string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
		// Not an object: Parse says what is wrong with it, where.
		return v, nil
	}
	if own, ok := obj["id"]; ok {
		var s string
		if json.Unmarshal(own, &s) != nil || s != id {
			return nil, fmt.Errorf("id %s is not the route's name %q; leave id out", own, id)
		}
		return v, nil
	}
	obj["id"], _ = json.Marshal(id)
	return json.Marshal(obj)
}

// RoutesUsing returns the ids of the routes of c that use the policy or
// upstream k/id: by name, or for a policy also through the defaults.
func (c *Config) RoutesUsing(k Kind, id string) []string {
	var out []string
	for _, r := range c.Routes {
		used := false
		switch k {
		case KindUpstreams:
			used = r.Upstream == id
		case KindPolicies:
			name, _ := c.RoutePolicy(r)
			used = name == id
		}
		if used {
			out = append(out, r.ID)
		}
	}
	return out
}

// ResourceStore is a Store whose resources can be read and changed one at a
// time, as the Admin API does: a cluster store.
type ResourceStore interface {
	// Resources returns the store's resources, with their revision and
	// versions.
	Resources(ctx context.Context) (*Resources, error)
	// Change sets the resource k/id to v, or deletes it when v is nil,
	// once the whole resulting snapshot is valid; it returns the
	// resource's new version. With ifMatch above 0 it changes the
	// resource only if its version is still ifMatch. Errors: an Errors
	// when the result would be invalid, ErrNotFound, a *ConflictError,
	// an *InUseError.
	Change(ctx context.Context, k Kind, id string, v json.RawMessage, ifMatch int64) (version int64, err error)
	// Nodes returns the status of every node, as each reported it.
	Nodes(ctx context.Context) ([]json.RawMessage, error)
}

// ErrNotFound is the error of a change to a resource that does not exist.
var ErrNotFound = errors.New("no such resource")

// ConflictError is the error of a change made on a version of a resource
// that is no longer its current one.
type ConflictError struct {
	Kind Kind
	ID   string
	// Version is the resource's current version, 0 when it is gone.
	Version int64
}

func (e *ConflictError) Error() string {
	if e.Version == 0 {
		return fmt.Sprintf("%s/%s was deleted since it was read; read it again", e.Kind, e.ID)
	}
	return fmt.Sprintf("%s/%s changed since it was read (now version %d); read it again and reapply the change", e.Kind, e.ID, e.Version)
}

// InUseError is the error of deleting a policy or upstream that routes
// use.
type InUseError struct {
	Kind   Kind
	ID     string
	Routes []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s/%s is used by the routes %s; change or delete them first", e.Kind, e.ID, strings.Join(e.Routes, ", "))
}

package admin

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
)

// policyView is a CORS policy as the console's tables show it.
type policyView struct {
	// Key is where the policy is written, as lint paths name it:
	// "policies.web", "routes[2].cors", "defaults.cors".
	Key string `json:"key"`
	// Name is the policy's name, "" for an inline policy.
	Name             string   `json:"name"`
	AllowOrigins     []string `json:"allow_origins"`
	AllowOriginRegex []string `json:"allow_origin_regex"`
	AllowMethods     []string `json:"allow_methods"`
	AllowHeaders     []string `json:"allow_headers"`
	ExposeHeaders    []string `json:"expose_headers"`
	AllowCredentials bool     `json:"allow_credentials"`
	MaxAge           int      `json:"max_age"`
	Mode             string   `json:"mode"`
	EnforceOrigin    bool     `json:"enforce_origin"`
	// UsedBy lists the ids of the routes the policy applies to.
	UsedBy []string `json:"used_by"`
	// Findings are lint's findings on the policy.
	Findings []lint.Finding `json:"findings"`
}

// routeView is a route as the console's tables show it.
type routeView struct {
	ID         string   `json:"id"`
	Hosts      []string `json:"hosts"`
	Path       string   `json:"path"`
	PathPrefix string   `json:"path_prefix"`
	Methods    []string `json:"methods"`
	Upstream   string   `json:"upstream"`
	// Policy is the Key of the route's policy, "" when CORS is off.
	Policy   string         `json:"policy"`
	CSRF     string         `json:"csrf"`
	Findings []lint.Finding `json:"findings"`
}

// configView is the JSON of GET /ui/api/config.
type configView struct {
	File     string `json:"file"`
	Revision string `json:"revision"`
	Listen   string `json:"listen"`
	TLS      bool   `json:"tls"`
	// Writable reports cluster mode, where the Admin API changes the
	// config; in file mode the console shows the lines to write.
	Writable bool           `json:"writable"`
	Routes   []routeView    `json:"routes"`
	Policies []policyView   `json:"policies"`
	Other    []lint.Finding `json:"other_findings"`
}

func (c *console) config(w http.ResponseWriter, r *http.Request, _ *session) {
	cfg := c.snapshot()
	if cfg == nil {
		writeNoConfig(w)
		return
	}
	v := viewConfig(cfg, lint.Check(cfg))
	v.Writable = c.writable
	writeJSON(w, http.StatusOK, v)
}

// viewConfig lays out cfg and its findings for the console: each finding
// beside the policy or route it is about.
func viewConfig(cfg *config.Config, findings []lint.Finding) configView {
	v := configView{File: cfg.File(), Revision: cfg.Revision, Listen: cfg.Listen, TLS: cfg.TLS != nil,
		Routes: []routeView{}, Policies: []policyView{}, Other: []lint.Finding{}}
	byKey := map[string]*policyView{}
	add := func(key, name string, p *config.Policy) {
		pv := policyView{Key: key, Name: name, AllowOrigins: p.AllowOrigins, AllowOriginRegex: p.AllowOriginRegex,
			AllowMethods: p.AllowMethods, AllowHeaders: p.AllowHeaders, ExposeHeaders: p.ExposeHeaders,
			AllowCredentials: p.AllowCredentials, MaxAge: p.MaxAge, Mode: string(p.Mode), EnforceOrigin: p.EnforceOrigin,
			UsedBy: []string{}, Findings: []lint.Finding{}}
		if pv.Mode == "" {
			pv.Mode = string(config.ModeGateway)
		}
		v.Policies = append(v.Policies, pv)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Policies)) {
		add("policies."+name, name, cfg.Policies[name])
	}
	if d := cfg.Defaults.CORS; d != nil && d.Inline != nil {
		add("defaults.cors", "", d.Inline)
	}
	for i, r := range cfg.Routes {
		if r.CORS != nil && r.CORS.Inline != nil {
			add(fmt.Sprintf("routes[%d].cors", i), "", r.CORS.Inline)
		}
	}
	for i := range v.Policies {
		byKey[v.Policies[i].Key] = &v.Policies[i]
	}
	for i, r := range cfg.Routes {
		rv := routeView{ID: r.ID, Hosts: r.Hosts, Path: r.Path, PathPrefix: r.PathPrefix, Methods: r.Methods,
			Upstream: r.Upstream, Findings: []lint.Finding{}}
		switch name, p := cfg.RoutePolicy(r); {
		case p == nil:
		case name != "":
			rv.Policy = "policies." + name
		case r.CORS != nil && r.CORS.Inline != nil:
			rv.Policy = fmt.Sprintf("routes[%d].cors", i)
		default:
			rv.Policy = "defaults.cors"
		}
		if pv := byKey[rv.Policy]; pv != nil {
			pv.UsedBy = append(pv.UsedBy, r.ID)
		}
		if r.CSRF != nil {
			rv.CSRF = string(r.CSRF.Mode)
		}
		v.Routes = append(v.Routes, rv)
	}
	for _, f := range findings {
		if pv := findingPolicy(byKey, f.Path); pv != nil {
			pv.Findings = append(pv.Findings, f)
			continue
		}
		var i int
		if _, err := fmt.Sscanf(f.Path, "routes[%d]", &i); err == nil && i >= 0 && i < len(v.Routes) {
			v.Routes[i].Findings = append(v.Routes[i].Findings, f)
			continue
		}
		v.Other = append(v.Other, f)
	}
	return v
}

// findingPolicy returns the policy that path is in, or nil.
func findingPolicy(byKey map[string]*policyView, path string) *policyView {
	for key, pv := range byKey {
		if path == key || strings.HasPrefix(path, key+".") || strings.HasPrefix(path, key+"[") {
			return pv
		}
	}
	return nil
}

// proposal is the body of POST /ui/api/propose: add Value to the list
// Field of the policy at Key.
type proposal struct {
	Key   string `json:"key"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// proposed is the answer: the policy's line before and after, as YAML,
// and the lint findings the change would add.
type proposed struct {
	Key         string         `json:"key"`
	Field       string         `json:"field"`
	Before      string         `json:"before"`
	After       string         `json:"after"`
	List        []string       `json:"list"`
	NewFindings []lint.Finding `json:"new_findings"`
	// Error is set when the changed config would not be valid.
	Error string `json:"error,omitempty"`
}

// propose prepares a one-step fix: it adds a value to a policy's origins,
// methods or headers in a copy of the config, and lints the copy.
func (c *console) propose(w http.ResponseWriter, r *http.Request, _ *session) {
	var in proposal
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8192)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid-request", `the body must be {"key": "policies.web", "field": "allow_origins", "value": "https://app.example.com"}`)
		return
	}
	cfg := c.snapshot()
	if cfg == nil {
		writeNoConfig(w)
		return
	}
	out, err := proposeChange(cfg, in)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func proposeChange(cfg *config.Config, in proposal) (*proposed, error) {
	next := *cfg
	var p *config.Policy
	switch {
	case strings.HasPrefix(in.Key, "policies."):
		name := strings.TrimPrefix(in.Key, "policies.")
		if cfg.Policies[name] == nil {
			return nil, fmt.Errorf("no policy %q", name)
		}
		cp := *cfg.Policies[name]
		p = &cp
		next.Policies = maps.Clone(cfg.Policies)
		next.Policies[name] = p
	default:
		return nil, fmt.Errorf("policy %q: only named policies can be changed in one step; change an inline policy in its route", in.Key)
	}
	var list *[]string
	switch in.Field {
	case "allow_origins":
		list = &p.AllowOrigins
	case "allow_methods":
		list = &p.AllowMethods
	case "allow_headers":
		list = &p.AllowHeaders
	default:
		return nil, fmt.Errorf("field %q: one of allow_origins, allow_methods, allow_headers", in.Field)
	}
	if in.Value == "" || len(in.Value) > 256 {
		return nil, fmt.Errorf("value: 1 to 256 bytes")
	}
	out := &proposed{Key: in.Key, Field: in.Field, Before: yamlLine(in.Field, *list), NewFindings: []lint.Finding{}}
	if !slices.ContainsFunc(*list, func(s string) bool { return strings.EqualFold(s, in.Value) }) {
		*list = append(slices.Clone(*list), in.Value)
	}
	out.After, out.List = yamlLine(in.Field, *list), *list
	if err := next.Validate(); err != nil {
		out.Error = err.Error()
		return out, nil
	}
	was := lint.Check(cfg)
	for _, f := range lint.Check(&next) {
		if !slices.ContainsFunc(was, func(g lint.Finding) bool { return g.Rule == f.Rule && g.Path == f.Path && g.Message == f.Message }) {
			out.NewFindings = append(out.NewFindings, f)
		}
	}
	return out, nil
}

// yamlLine writes a list setting as one YAML line; a JSON array is a YAML
// flow sequence.
func yamlLine(field string, list []string) string {
	b, _ := json.Marshal(list)
	if list == nil {
		b = []byte("[]")
	}
	return field + ": " + strings.ReplaceAll(string(b), `","`, `", "`)
}

// writeNoConfig answers a request that needs the config before the gateway
// has one (a cluster node waiting for its first snapshot).
func writeNoConfig(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, "no-config", "the gateway has no config yet; try again once it serves one")
}

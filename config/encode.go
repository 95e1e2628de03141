package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ResourcesOf returns the resources of c, each encoded as the canonical
// JSON value of its settings: the config file's keys, every setting
// written out (defaults too), in a fixed order. Two resources that mean
// the same encode to the same bytes, which is how `config push` tells
// what changed.
func ResourcesOf(c *Config) *Resources {
	r := &Resources{
		Policies:  make(map[string]json.RawMessage, len(c.Policies)),
		Upstreams: make(map[string]json.RawMessage, len(c.Upstreams)),
		Routes:    make(map[string]json.RawMessage, len(c.Routes)),
	}
	for name, p := range c.Policies {
		r.Policies[name] = mustJSON(policyJSON(p))
	}
	for name, u := range c.Upstreams {
		r.Upstreams[name] = mustJSON(upstreamJSONOf(u))
	}
	for _, rt := range c.Routes {
		r.Routes[rt.ID] = mustJSON(routeJSONOf(rt))
	}
	if c.Defaults.CORS != nil {
		r.Defaults = mustJSON(defaultsJSON{CORS: refJSON(c.Defaults.CORS)})
	}
	return r
}

// mustJSON encodes values of the types below, which always encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("config: encoding a resource: " + err.Error())
	}
	return b
}

type policyEncoding struct {
	AllowOrigins                          []string `json:"allow_origins,omitempty"`
	AllowOriginRegex                      []string `json:"allow_origin_regex,omitempty"`
	AllowMethods                          []string `json:"allow_methods,omitempty"`
	AllowHeaders                          []string `json:"allow_headers,omitempty"`
	ExposeHeaders                         []string `json:"expose_headers,omitempty"`
	AllowCredentials                      bool     `json:"allow_credentials"`
	MaxAge                                int      `json:"max_age"`
	AllowPrivateNetwork                   bool     `json:"allow_private_network"`
	TimingAllowOrigin                     bool     `json:"timing_allow_origin"`
	PreflightStatus                       int      `json:"preflight_status"`
	EnforceOrigin                         bool     `json:"enforce_origin"`
	Mode                                  Mode     `json:"mode"`
	DangerouslyAllowInsecureOrigins       bool     `json:"dangerously_allow_insecure_origins,omitempty"`
	DangerouslyAllowPublicSuffixWildcards bool     `json:"dangerously_allow_public_suffix_wildcards,omitempty"`
}

func policyJSON(p *Policy) policyEncoding {
	return policyEncoding{
		AllowOrigins:                          p.AllowOrigins,
		AllowOriginRegex:                      p.AllowOriginRegex,
		AllowMethods:                          p.AllowMethods,
		AllowHeaders:                          p.AllowHeaders,
		ExposeHeaders:                         p.ExposeHeaders,
		AllowCredentials:                      p.AllowCredentials,
		MaxAge:                                p.MaxAge,
		AllowPrivateNetwork:                   p.AllowPrivateNetwork,
		TimingAllowOrigin:                     p.TimingAllowOrigin,
		PreflightStatus:                       p.PreflightStatus,
		EnforceOrigin:                         p.EnforceOrigin,
		Mode:                                  p.Mode,
		DangerouslyAllowInsecureOrigins:       p.DangerouslyAllowInsecureOrigins,
		DangerouslyAllowPublicSuffixWildcards: p.DangerouslyAllowPublicSuffixWildcards,
	}
}

type upstreamJSON struct {
	Targets     []string         `json:"targets"`
	Timeout     string           `json:"timeout"`
	Retries     int              `json:"retries"`
	MaxFails    int              `json:"max_fails"`
	FailTimeout string           `json:"fail_timeout"`
	HealthCheck *healthCheckJSON `json:"health_check,omitempty"`
}

type healthCheckJSON struct {
	Path     string `json:"path"`
	Interval string `json:"interval"`
	Timeout  string `json:"timeout"`
	Fails    int    `json:"fails"`
	Passes   int    `json:"passes"`
}

func upstreamJSONOf(u *Upstream) upstreamJSON {
	out := upstreamJSON{
		Targets:     u.Targets,
		Timeout:     duration(u.Timeout),
		Retries:     u.Retries,
		MaxFails:    u.MaxFails,
		FailTimeout: duration(u.FailTimeout),
	}
	if h := u.HealthCheck; h != nil {
		out.HealthCheck = &healthCheckJSON{Path: h.Path, Interval: duration(h.Interval), Timeout: duration(h.Timeout), Fails: h.Fails, Passes: h.Passes}
	}
	return out
}

type routeJSON struct {
	Hosts        []string  `json:"hosts,omitempty"`
	Path         string    `json:"path,omitempty"`
	PathPrefix   string    `json:"path_prefix,omitempty"`
	Methods      []string  `json:"methods,omitempty"`
	StripPrefix  bool      `json:"strip_prefix,omitempty"`
	MaxBodyBytes int64     `json:"max_body_bytes,omitempty"`
	Upstream     string    `json:"upstream"`
	CORS         any       `json:"cors,omitempty"`
	CSRF         *csrfJSON `json:"csrf,omitempty"`
}

type csrfJSON struct {
	Mode         CSRFMode `json:"mode"`
	ExemptPaths  []string `json:"exempt_paths,omitempty"`
	Secret       string   `json:"secret,omitempty"`
	CookieDomain string   `json:"cookie_domain,omitempty"`
	TokenTTL     string   `json:"token_ttl,omitempty"`
}

type defaultsJSON struct {
	CORS any `json:"cors,omitempty"`
}

func routeJSONOf(r *Route) routeJSON {
	out := routeJSON{
		Hosts:        r.Hosts,
		Path:         r.Path,
		PathPrefix:   r.PathPrefix,
		Methods:      r.Methods,
		StripPrefix:  r.StripPrefix,
		MaxBodyBytes: r.MaxBodyBytes,
		Upstream:     r.Upstream,
	}
	if r.CORS != nil {
		out.CORS = refJSON(r.CORS)
	}
	if c := r.CSRF; c != nil {
		out.CSRF = &csrfJSON{Mode: c.Mode, ExemptPaths: c.ExemptPaths, Secret: c.Secret, CookieDomain: c.CookieDomain}
		if c.TokenTTL != 0 {
			out.CSRF.TokenTTL = duration(c.TokenTTL)
		}
	}
	return out
}

// refJSON encodes a cors setting as the file writes it: a name, "off", or
// an inline policy.
func refJSON(ref *PolicyRef) any {
	switch {
	case ref.Off:
		return "off"
	case ref.Inline != nil:
		return policyJSON(ref.Inline)
	}
	return ref.Name
}

// duration writes d as Parse reads it back: "30s", "1m30s".
func duration(d time.Duration) string { return d.String() }

// YAML returns r as a config file that Parse reads back to the same
// resources: policies, upstreams, routes (each with its id) and defaults.
// A $ that Parse would substitute is written $$.
func (r *Resources) YAML() ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, key string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	for _, k := range []Kind{KindPolicies, KindUpstreams} {
		if len(r.Of(k)) == 0 {
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, id := range slices.Sorted(maps.Keys(r.Of(k))) {
			v, err := yamlValue(r.Of(k)[id])
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", k, id, err)
			}
			add(m, id, v)
		}
		add(root, string(k), m)
	}
	if len(r.Routes) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, id := range slices.Sorted(maps.Keys(r.Routes)) {
			v, err := yamlValue(r.Routes[id])
			if err != nil || v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("routes/%s: not a JSON object (%v)", id, err)
			}
			idKey := &yaml.Node{Kind: yaml.ScalarNode, Value: "id"}
			idValue := &yaml.Node{Kind: yaml.ScalarNode, Value: escapeDollars(id), Style: yaml.DoubleQuotedStyle}
			v.Content = append([]*yaml.Node{idKey, idValue}, withoutKey(v.Content, "id")...)
			list.Content = append(list.Content, v)
		}
		add(root, "routes", list)
	}
	if r.Defaults != nil {
		v, err := yamlValue(r.Defaults)
		if err != nil {
			return nil, fmt.Errorf("defaults: %w", err)
		}
		add(root, "defaults", v)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// yamlValue turns a JSON value into YAML nodes: mappings in block style,
// lists of scalars on one line, strings quoted.
func yamlValue(v json.RawMessage) (*yaml.Node, error) {
	if !json.Valid(v) {
		return nil, fmt.Errorf("the value is not valid JSON")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(v, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("the value is empty")
	}
	n := doc.Content[0]
	var style func(n *yaml.Node)
	style = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			n.Style = 0
		case yaml.SequenceNode:
			n.Style = yaml.FlowStyle
			for _, c := range n.Content {
				if c.Kind != yaml.ScalarNode {
					n.Style = 0
				}
			}
		case yaml.ScalarNode:
			if n.Tag == "!!str" {
				n.Value = escapeDollars(n.Value)
				n.Style = yaml.DoubleQuotedStyle
			}
		}
		n.Line, n.Column = 0, 0
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				c.Style = 0 // keys plain
				continue
			}
			style(c)
		}
	}
	style(n)
	return n, nil
}

func withoutKey(content []*yaml.Node, key string) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		if content[i].Value != key {
			out = append(out, content[i], content[i+1])
		}
	}
	return out
}

// escapeDollars doubles each $ that Parse would otherwise take as the
// start of a substitution ($$ or ${): the others it keeps as they are.
func escapeDollars(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '{') {
			b.WriteByte('$')
		}
	}
	return b.String()
}

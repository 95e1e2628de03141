package config

import (
	"encoding/json"
	"time"
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
		r.Upstreams[name] = mustJSON(upstreamJSON{Targets: u.Targets, Timeout: duration(u.Timeout)})
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
	Targets []string `json:"targets"`
	Timeout string   `json:"timeout"`
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

package config

import "slices"

// Equal reports whether p and o are the same policy: a gateway that has
// compiled one may serve the other with it. Nil equals only nil.
func (p *Policy) Equal(o *Policy) bool {
	if p == nil || o == nil {
		return p == o
	}
	return slices.Equal(p.AllowOrigins, o.AllowOrigins) &&
		slices.Equal(p.AllowOriginRegex, o.AllowOriginRegex) &&
		slices.Equal(p.AllowMethods, o.AllowMethods) &&
		slices.Equal(p.AllowHeaders, o.AllowHeaders) &&
		slices.Equal(p.ExposeHeaders, o.ExposeHeaders) &&
		p.AllowCredentials == o.AllowCredentials &&
		p.MaxAge == o.MaxAge &&
		p.AllowPrivateNetwork == o.AllowPrivateNetwork &&
		p.TimingAllowOrigin == o.TimingAllowOrigin &&
		p.PreflightStatus == o.PreflightStatus &&
		p.EnforceOrigin == o.EnforceOrigin &&
		p.Mode == o.Mode &&
		p.DangerouslyAllowInsecureOrigins == o.DangerouslyAllowInsecureOrigins &&
		p.DangerouslyAllowPublicSuffixWildcards == o.DangerouslyAllowPublicSuffixWildcards
}

// Equal reports whether u and o are the same upstream. Nil equals only nil.
func (u *Upstream) Equal(o *Upstream) bool {
	if u == nil || o == nil {
		return u == o
	}
	return slices.Equal(u.Targets, o.Targets) && u.Timeout == o.Timeout && u.Retries == o.Retries &&
		u.MaxFails == o.MaxFails && u.FailTimeout == o.FailTimeout &&
		(u.HealthCheck == nil) == (o.HealthCheck == nil) && (u.HealthCheck == nil || *u.HealthCheck == *o.HealthCheck)
}

// Equal reports whether r and o are the same route, by what they say
// themselves: the policy and upstream they name are compared by name (an
// inline policy by value), so a route is equal to itself in a config whose
// policy of that name has changed. Nil equals only nil.
func (r *Route) Equal(o *Route) bool {
	if r == nil || o == nil {
		return r == o
	}
	return r.ID == o.ID &&
		slices.Equal(r.Hosts, o.Hosts) &&
		r.Path == o.Path &&
		r.PathPrefix == o.PathPrefix &&
		slices.Equal(r.Methods, o.Methods) &&
		r.StripPrefix == o.StripPrefix &&
		r.MaxBodyBytes == o.MaxBodyBytes &&
		r.Upstream == o.Upstream &&
		r.CORS.Equal(o.CORS) &&
		r.CSRF.Equal(o.CSRF)
}

// Equal reports whether ref and o refer to the same policy. Nil equals
// only nil.
func (ref *PolicyRef) Equal(o *PolicyRef) bool {
	if ref == nil || o == nil {
		return ref == o
	}
	return ref.Name == o.Name && ref.Off == o.Off && ref.Inline.Equal(o.Inline)
}

// Equal reports whether c and o are the same protection. Nil equals only
// nil.
func (c *CSRF) Equal(o *CSRF) bool {
	if c == nil || o == nil {
		return c == o
	}
	return c.Mode == o.Mode && slices.Equal(c.ExemptPaths, o.ExemptPaths) && c.Secret == o.Secret &&
		c.CookieDomain == o.CookieDomain && c.TokenTTL == o.TokenTTL
}

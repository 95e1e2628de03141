// Package config is Crossgate's configuration: the schema of the gateway's
// YAML file, its loading with line numbers and environment substitution,
// validation of a whole snapshot at once, and the stores a gateway reads
// snapshots from.
//
// A *Config is an immutable snapshot: Parse builds and checks it, the
// gateway compiles it and swaps it in whole, and a change means a new
// snapshot, never an edit of a live one.
//
// The file is strict: an unknown key, a value of the wrong type, a
// duplicate key or a second YAML document is an error. ${NAME} in a value
// is replaced by the environment variable NAME (an error when it is
// unset), ${NAME:-default} falls back to default when NAME is unset or
// empty, and $$ is a literal $. YAML anchors, aliases and merge keys (<<)
// may share settings between policies. Every problem is reported at once,
// as FILE:LINE:COL: message.
package config

import (
	"slices"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// Defaults applied by Parse to keys the file leaves out.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultPreflightStatus = 204
	DefaultTimeout         = 30 * time.Second
	DefaultTokenTTL        = 12 * time.Hour
	DefaultMaxHeaderBytes  = 64 << 10

	// Upstream failover, with nginx's defaults (max_fails=1,
	// fail_timeout=10s) and one retry, as nginx's proxy_next_upstream
	// gives an idempotent request.
	DefaultRetries     = 1
	DefaultMaxFails    = 1
	DefaultFailTimeout = 10 * time.Second

	// Active health checks, with the defaults of nginx Plus's
	// health_check (interval=5s fails=1 passes=1).
	DefaultCheckInterval = 5 * time.Second
	DefaultCheckTimeout  = 2 * time.Second
	DefaultCheckFails    = 1
	DefaultCheckPasses   = 1
	// MinCheckInterval is the shortest health-check interval Validate
	// accepts: a check is a request, and a shorter interval turns checks
	// into load.
	MinCheckInterval = 100 * time.Millisecond
)

// Config is one snapshot of the gateway's configuration.
type Config struct {
	// Listen is the gateway's address, host:port.
	Listen string
	// TLS, when set, serves HTTPS (and HTTP/2) on Listen.
	TLS *TLS
	// Admin, when set, runs the admin listener: metrics, health, Admin API
	// and UI.
	Admin *Admin
	// Limits bound what clients may hold of the gateway's listener.
	Limits Limits
	// Policies are the named CORS policies that routes refer to.
	Policies map[string]*Policy
	// Upstreams are the named backends that routes forward to.
	Upstreams map[string]*Upstream
	// Routes are matched as the gateway documents: host, then exact path,
	// then the longest path prefix, then method.
	Routes []*Route
	// Defaults apply to routes that leave a setting out.
	Defaults Defaults
	// Metrics shapes the gateway's Prometheus series.
	Metrics Metrics

	// Revision identifies the source of this snapshot: for a file, a hash
	// of its bytes. Two snapshots with the same revision are the same.
	Revision string

	file     string
	pos      map[string]position // by path; empty for a Config built in code
	compiled *compiledPolicies   // nil for a Config built in code
}

// TLS names the certificate and key files of the gateway's listener. Both
// are required. Relative paths are resolved by the gateway against its
// working directory.
type TLS struct {
	CertFile string
	KeyFile  string
}

// Limits bound what clients may hold of the gateway's listener. Like
// listen, they take effect when the gateway starts.
type Limits struct {
	// MaxHeaderBytes is the largest request head (request line and header
	// fields) the gateway reads; a longer one is answered with 431. 0 means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxConnections is the most client connections the listener holds at
	// once. At the limit, a new connection closes the one that has waited
	// longest for a request (a silent client, an idle keep-alive), as
	// nginx does, and is closed itself only when every connection is
	// serving a request. 0 derives it from the descriptor limit: half of
	// RLIMIT_NOFILE less 64, since each proxied request holds an upstream
	// connection too. -1 sets no limit.
	MaxConnections int
}

// Admin configures the admin listener.
type Admin struct {
	// Listen is the admin address, host:port. Validation refuses an
	// address other than loopback unless Keys is set.
	Listen string
	// Keys are the bearer keys of the Admin API.
	Keys []*AdminKey
}

// AdminKey is one bearer key of the Admin API.
type AdminKey struct {
	// Name identifies the key's holder in logs.
	Name string
	// Key is the secret, at least MinAdminKeyLength bytes; usually
	// "${SOME_VARIABLE}" so that it stays out of the file.
	Key string
	// Role is what the key may do.
	Role Role
}

// MinAdminKeyLength is the shortest admin key Validate accepts.
const MinAdminKeyLength = 16

// Role is an admin key's permission.
type Role string

// Roles of admin keys.
const (
	RoleAdmin  Role = "admin"  // read and write
	RoleViewer Role = "viewer" // read only
)

// Mode says who owns CORS on the routes of a policy.
type Mode string

// Policy modes.
const (
	// ModeGateway: the gateway answers preflights itself, sets the CORS
	// headers on every response and removes the upstream's.
	ModeGateway Mode = "gateway"
	// ModeUpstream: the upstream owns CORS; the gateway forwards
	// preflights and caches their answers.
	ModeUpstream Mode = "upstream"
	// ModeShadow: as ModeUpstream, and the gateway reports every request on
	// which its own policy would decide otherwise.
	ModeShadow Mode = "shadow"
)

// Policy is a CORS policy as the config file writes it. Its CORS fields
// mean what the fields of cors.Config of the same names mean.
type Policy struct {
	AllowOrigins     []string
	AllowOriginRegex []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	// MaxAge is in whole seconds, -1 to 86400: 0 leaves the header out,
	// -1 disables caching. The file writes it in seconds (7200) or as a
	// duration ("2h", "-1s").
	MaxAge              int
	AllowPrivateNetwork bool
	TimingAllowOrigin   bool
	// PreflightStatus is the status of an accepted preflight, 204 or
	// another 2xx.
	PreflightStatus int

	// EnforceOrigin makes the gateway answer 403, without calling the
	// upstream, to a request whose Origin the policy refuses. It is valid
	// only with ModeGateway: in the other modes the upstream owns CORS and
	// shadow mode promises to change nothing, so Validate refuses it there
	// rather than ignore it.
	EnforceOrigin bool
	// Mode says who owns CORS; ModeGateway when the file leaves it out.
	Mode Mode

	DangerouslyAllowInsecureOrigins       bool
	DangerouslyAllowPublicSuffixWildcards bool
}

// CORSConfig returns the library configuration of p.
func (p *Policy) CORSConfig() cors.Config {
	return cors.Config{
		AllowOrigins:                          p.AllowOrigins,
		AllowOriginRegex:                      p.AllowOriginRegex,
		AllowMethods:                          p.AllowMethods,
		AllowHeaders:                          p.AllowHeaders,
		ExposeHeaders:                         p.ExposeHeaders,
		AllowCredentials:                      p.AllowCredentials,
		MaxAge:                                time.Duration(p.MaxAge) * time.Second,
		PreflightStatus:                       p.PreflightStatus,
		AllowPrivateNetwork:                   p.AllowPrivateNetwork,
		TimingAllowOrigin:                     p.TimingAllowOrigin,
		DangerouslyAllowInsecureOrigins:       p.DangerouslyAllowInsecureOrigins,
		DangerouslyAllowPublicSuffixWildcards: p.DangerouslyAllowPublicSuffixWildcards,
	}
}

// Upstream is a backend: one or more equivalent targets.
type Upstream struct {
	// Targets are absolute http or https URLs; a path is prepended to the
	// request's path.
	Targets []string
	// Timeout bounds a whole upstream exchange; DefaultTimeout when the
	// file leaves it out.
	Timeout time.Duration
	// Retries is how many times a request that may have reached a target
	// is sent again to another target after a failure before any response
	// byte: only idempotent requests whose body can be sent again. A
	// request that reached no target goes to the next one whatever this
	// says. DefaultRetries when the file leaves it out; 0 turns retries
	// off.
	Retries int
	// MaxFails failures of a target within FailTimeout leave it out of
	// the rotation for FailTimeout (passive health, nginx's max_fails and
	// fail_timeout). Connection errors and timeouts count, answers do not,
	// whatever their status. DefaultMaxFails and DefaultFailTimeout when
	// the file leaves them out; MaxFails 0 turns passive health off.
	MaxFails    int
	FailTimeout time.Duration
	// HealthCheck, when set, probes every target on its own schedule
	// (active health).
	HealthCheck *HealthCheck
}

// HealthCheck is an upstream's active health check: every Interval, a GET
// of Path on each target; an answer with a 2xx or 3xx status within
// Timeout is a pass, anything else a failure. Fails failures in a row take
// a target out of the rotation, Passes passes in a row bring it back.
type HealthCheck struct {
	// Path is requested on the target's host, as is: the target URL's own
	// path is not prepended.
	Path     string
	Interval time.Duration
	Timeout  time.Duration
	Fails    int
	Passes   int
}

// Route sends matching requests to an upstream. Exactly one of Path and
// PathPrefix is set.
type Route struct {
	// ID names the route in metrics, logs and the Admin API; unique.
	ID string
	// Hosts, when set, restricts the route to these host names (no port).
	Hosts []string
	// Path matches exactly this request path.
	Path string
	// PathPrefix matches every request path that starts with it.
	PathPrefix string
	// Methods, when set, restricts the route to these methods (and HEAD
	// where it lists GET: ServedMethods). Preflights are answered whatever
	// it lists.
	Methods []string
	// StripPrefix removes PathPrefix from the path sent upstream.
	StripPrefix bool
	// MaxBodyBytes, when positive, bounds a request body: a larger one is
	// refused with 413 before the upstream reads past the limit.
	MaxBodyBytes int64
	// Upstream names the route's upstream.
	Upstream string
	// CORS is the route's own policy; nil uses Defaults.CORS.
	CORS *PolicyRef
	// CSRF, when set, protects the route's unsafe methods.
	CSRF *CSRF
}

// ServedMethods returns the methods the route serves: Methods, with HEAD
// after GET where Methods lists GET and not HEAD, as nginx's limit_except
// and Go's ServeMux do; nil (any method) when Methods is empty.
func (r *Route) ServedMethods() []string {
	if i := slices.Index(r.Methods, "GET"); i >= 0 && !slices.Contains(r.Methods, "HEAD") {
		return slices.Insert(slices.Clone(r.Methods), i+1, "HEAD")
	}
	return r.Methods
}

// PolicyRef is a route's (or the defaults') cors setting: the name of a
// policy, a policy of its own, or off. Exactly one is set.
type PolicyRef struct {
	Name   string
	Inline *Policy
	Off    bool
}

// Defaults are settings for routes that leave them out.
type Defaults struct {
	// CORS is the policy of routes without one; nil means none.
	CORS *PolicyRef
}

// Metrics shapes the gateway's Prometheus series.
type Metrics struct {
	// PerRoute says whether series are labelled with each route's id;
	// PerRouteAuto when the file leaves it out.
	PerRoute PerRoute
}

// PerRoute is the metrics setting per_route.
type PerRoute string

// PerRoute settings.
const (
	// PerRouteAuto labels series by route while the config has at most
	// PerRouteAutoLimit routes, and by AllRoutes above.
	PerRouteAuto PerRoute = "auto"
	// PerRouteOn labels series by route whatever the number of routes:
	// about 20 series per route that receives requests.
	PerRouteOn PerRoute = "on"
	// PerRouteOff labels every route's series AllRoutes: the scrape has the
	// same size whatever the number of routes.
	PerRouteOff PerRoute = "off"
)

// PerRouteAutoLimit is the most routes for which PerRouteAuto labels series
// by route: at about 20 series per route that receives requests, 1,000
// routes make a scrape of some 20,000 series, the most a single target
// should give Prometheus; a fleet of more routes is better watched through
// its upstreams and the access log.
const PerRouteAutoLimit = 1000

// AllRoutes is the route label of series that count every route together,
// when per-route series are off.
const AllRoutes = "*"

// PerRouteMetrics reports whether the gateway labels series by route.
func (c *Config) PerRouteMetrics() bool {
	switch c.Metrics.PerRoute {
	case PerRouteOn:
		return true
	case PerRouteOff:
		return false
	}
	return len(c.Routes) <= PerRouteAutoLimit
}

// CSRFMode is how a route is protected against cross-site request forgery.
type CSRFMode string

// CSRF modes.
const (
	// CSRFFetchMetadata refuses unsafe cross-site requests by their
	// Sec-Fetch-Site header, or their Origin when it is absent.
	CSRFFetchMetadata CSRFMode = "fetch-metadata"
	// CSRFToken requires a signed token, issued in a cookie, back in a
	// header on unsafe methods.
	CSRFToken CSRFMode = "token"
	// CSRFBoth applies both checks.
	CSRFBoth CSRFMode = "both"
)

// CSRF is a route's protection against cross-site request forgery.
type CSRF struct {
	Mode CSRFMode
	// ExemptPaths are paths under the route that are not checked, such as
	// webhooks that other sites call by design. Each is matched as a
	// prefix.
	ExemptPaths []string
	// Secret keys the token signatures, at least 32 bytes. Every node
	// serving the route needs the same one; when empty the gateway draws a
	// random one at start, and tokens do not survive a restart. Token
	// modes only.
	Secret string
	// CookieDomain, when set, is the Domain of the token cookie, so that
	// pages on sibling hosts (app.example.com for api.example.com) can read
	// the token and send it back. The cookie is SameSite=Lax: token mode
	// serves pages of the same site only; routes called from other sites
	// use fetch-metadata. Token modes only.
	CookieDomain string
	// TokenTTL is how long a token stays valid: a session, not a request.
	// DefaultTokenTTL when the file leaves it out. Token modes only.
	TokenTTL time.Duration
}

// MinCSRFSecretLength is the shortest CSRF secret Validate accepts.
const MinCSRFSecretLength = 32

// RoutePolicy returns the CORS policy that applies to r: its own, else
// the defaults', else none (p is nil, as for a route with cors: off). name
// is the policy's name, or empty for an inline policy.
func (c *Config) RoutePolicy(r *Route) (name string, p *Policy) {
	ref := r.CORS
	if ref == nil {
		ref = c.Defaults.CORS
	}
	switch {
	case ref == nil || ref.Off:
		return "", nil
	case ref.Inline != nil:
		return "", ref.Inline
	}
	return ref.Name, c.Policies[ref.Name]
}

// position is a place in the source, 1-based.
type position struct{ line, col int }

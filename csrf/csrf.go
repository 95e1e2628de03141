// Package csrf protects the unsafe requests of a route against cross-site
// request forgery, in front of any http.Handler.
//
// It has two checks, used alone or together (see Mode). Fetch Metadata
// trusts what the browser says about where a request comes from
// (Sec-Fetch-Site), and falls back to the Origin header for browsers and
// plain-http pages that do not send it; origins the route's CORS policy
// allows are trusted too, so a credentialed cross-origin POST from an
// allowed page still passes. The token check requires a signed token,
// issued in a cookie, back in a header: a page on another site can neither
// read the cookie nor set the header.
//
// A refusal is a 403 with a JSON body, {"error":"csrf","reason":"<code>"},
// whose code is a Reason. Protect and Check return it as an Error, so that
// a caller can count it and log it.
package csrf

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/crossgate/crossgate/internal/origin"
)

// Mode selects the checks a Protection applies to unsafe requests.
type Mode uint8

const (
	// FetchMetadata refuses unsafe requests that the browser marks as
	// coming from another origin (Sec-Fetch-Site), or whose Origin is
	// neither the request's own nor trusted, unless the origin is trusted.
	// It needs no cooperation from the page. It is the zero Mode.
	FetchMetadata Mode = iota
	// Token requires the token of the token cookie back in the token
	// header on unsafe requests.
	Token
	// Both applies FetchMetadata, then Token; a request must pass both.
	Both
)

var modeNames = [...]string{FetchMetadata: "fetch-metadata", Token: "token", Both: "both"}

// String returns the mode's name in configuration files: "fetch-metadata",
// "token" or "both".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the Mode called s in configuration files.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("csrf: unknown mode %q; use fetch-metadata, token or both", s)
}

// Defaults for the Config fields left empty.
const (
	DefaultTokenTTL   = 12 * time.Hour
	DefaultCookieName = "csrf_token"
	DefaultHeaderName = "X-CSRF-Token"
)

// Config configures a Protection. The zero Config is valid: Fetch Metadata,
// no trusted origins, nothing exempt.
type Config struct {
	// Mode selects the checks.
	Mode Mode

	// TrustedOrigin reports whether an unsafe request from origin (an
	// Origin header value, already checked to be a well-formed serialized
	// origin) may pass the Fetch Metadata check although it comes from
	// another origin. Give it the route's CORS policy, so that the pages
	// it allows to read responses may also send state-changing requests.
	// It must never report true for every origin: "Access-Control-Allow-
	// Origin: *" lets any page read public responses, which is no reason
	// to accept any page's requests carrying the user's cookies. Nil
	// trusts no other origin.
	TrustedOrigin func(origin string) bool

	// ExemptPaths are path prefixes that are not checked, such as webhooks
	// that other sites call by design. A prefix matches at a segment
	// boundary: "/hooks" covers "/hooks" and "/hooks/github" but not
	// "/hooksmith". A path with empty, "." or ".." segments is never
	// exempt, so "/hooks/../admin" cannot borrow the exemption. Each must
	// start with "/".
	ExemptPaths []string

	// TrustForwardedProto makes the X-Forwarded-Proto header, rather than
	// the connection, say whether the client used https. Set it only when
	// every request comes through a proxy that sets the header itself; it
	// matters for the Origin fallback (the request's own origin) and for
	// the token cookie's Secure attribute.
	TrustForwardedProto bool

	// Secrets key the token signatures: the first signs, all verify, so a
	// secret is rotated by putting the new one first and dropping the old
	// one after TokenTTL. Each is at least 32 bytes. Every instance serving
	// the route needs the same list. When empty, New draws a random secret,
	// and tokens do not survive the process. Token modes only.
	Secrets []string

	// TokenTTL is how long a token stays valid: a session, not a request.
	// DefaultTokenTTL when zero. Token modes only.
	TokenTTL time.Duration

	// CookieName names the token cookie; DefaultCookieName when empty.
	CookieName string

	// CookieDomain, when set, is the token cookie's Domain, so that pages
	// on sibling hosts (app.example.com for api.example.com) can read the
	// token. Empty makes a host-only cookie.
	CookieDomain string

	// HeaderName names the request header that carries the token back;
	// DefaultHeaderName when empty.
	HeaderName string

	// Now returns the current time; time.Now when nil. Tests set it to
	// expire tokens without waiting.
	Now func() time.Time
}

// Protection checks requests against one Config. It is immutable once built
// and safe for concurrent use. Its zero value applies Fetch Metadata with no
// trusted origins and nothing exempt.
type Protection struct {
	mode       Mode
	trusted    func(string) bool
	exempt     []string
	trustProto bool
	keys       keyring
	ttl        time.Duration
	cookieName string
	cookieDom  string
	headerKey  string // canonical, for direct map lookups
	now        func() time.Time
	verified   verifiedTokens
}

// New checks cfg and builds a Protection. Every problem is reported,
// joined into one error.
func New(cfg Config) (*Protection, error) {
	var errs []error
	p := &Protection{
		mode:       cfg.Mode,
		trusted:    cfg.TrustedOrigin,
		exempt:     append([]string(nil), cfg.ExemptPaths...),
		trustProto: cfg.TrustForwardedProto,
		ttl:        cfg.TokenTTL,
		cookieName: cfg.CookieName,
		cookieDom:  cfg.CookieDomain,
		headerKey:  textproto.CanonicalMIMEHeaderKey(cfg.HeaderName),
		now:        cfg.Now,
	}
	if int(cfg.Mode) >= len(modeNames) {
		errs = append(errs, fmt.Errorf("csrf: Mode: unknown mode %d", cfg.Mode))
	}
	for i, e := range cfg.ExemptPaths {
		if !strings.HasPrefix(e, "/") {
			errs = append(errs, fmt.Errorf("csrf: ExemptPaths[%d] %q: must start with \"/\"", i, e))
		}
	}
	if cfg.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("csrf: TokenTTL %v: must be positive, or zero for the default %v", cfg.TokenTTL, DefaultTokenTTL))
	}
	if p.ttl == 0 {
		p.ttl = DefaultTokenTTL
	}
	if p.cookieName == "" {
		p.cookieName = DefaultCookieName
	} else if !validToken(p.cookieName) {
		errs = append(errs, fmt.Errorf("csrf: CookieName %q: not a valid cookie name", cfg.CookieName))
	}
	if cfg.HeaderName == "" {
		p.headerKey = textproto.CanonicalMIMEHeaderKey(DefaultHeaderName)
	} else if !validToken(cfg.HeaderName) {
		errs = append(errs, fmt.Errorf("csrf: HeaderName %q: not a valid header name", cfg.HeaderName))
	}
	for i, s := range cfg.Secrets {
		if len(s) < minSecretBytes {
			errs = append(errs, fmt.Errorf("csrf: Secrets[%d]: %d bytes; a secret needs at least %d (try: openssl rand -base64 48)", i, len(s), minSecretBytes))
			continue
		}
		p.keys = append(p.keys, newKey([]byte(s)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(p.keys) == 0 {
		secret := make([]byte, minSecretBytes)
		rand.Read(secret)
		p.keys = keyring{newKey(secret)}
	}
	return p, nil
}

// validToken reports whether s is an RFC 9110 token, the syntax of both
// header and cookie names.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Check reports whether r may proceed. It returns nil, or an Error whose
// Reason says why not. It has no side effects: it issues no token (see
// Protect) and writes nothing.
//
// In order:
//  1. GET, HEAD and OPTIONS pass: they must not change state.
//  2. A path under one of ExemptPaths passes.
//  3. Fetch Metadata, unless Mode is Token: Sec-Fetch-Site "same-origin"
//     or "none" (the user typed the URL, or used a bookmark) passes;
//     "same-site", "cross-site" or any other value passes only when the
//     Origin is trusted. Without Sec-Fetch-Site (browsers before 2023,
//     and every browser on plain-http sites, which get no Fetch Metadata),
//     a request without Origin passes (not a browser, or a same-origin
//     request from an old one); a request whose Origin is the request's
//     own origin (scheme, host and port) or is trusted passes. A malformed
//     Origin is refused.
//  4. The token, unless Mode is FetchMetadata: the token cookie must be
//     present, the token header must carry the same token, and the token
//     must be signed by one of the secrets and not expired.
func (p *Protection) Check(r *http.Request) error {
	if reason := p.check(r); reason != 0 {
		return Error{Reason: reason}
	}
	return nil
}

func (p *Protection) check(r *http.Request) Reason {
	if isSafe(r.Method) {
		return 0
	}
	if r.URL != nil && p.isExempt(r.URL.Path) {
		return 0
	}
	if p.mode != Token {
		if reason := p.checkFetchMetadata(r); reason != 0 {
			return reason
		}
	}
	if p.mode != FetchMetadata {
		return p.checkToken(r)
	}
	return 0
}

// isSafe reports whether method is one of the safe methods the protection
// never refuses. Methods are case-sensitive: "post" is not safe.
func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func (p *Protection) checkFetchMetadata(r *http.Request) Reason {
	var site string
	if v := r.Header["Sec-Fetch-Site"]; len(v) > 0 {
		site = v[0]
	}
	switch site {
	case "same-origin", "none":
		return 0
	case "":
		return p.checkOrigin(r)
	case "same-site":
		return p.checkTrusted(r, ReasonSameSiteUntrusted)
	default:
		return p.checkTrusted(r, ReasonCrossSite)
	}
}

// checkTrusted passes a request the browser says comes from another origin
// only when its Origin is a trusted one; otherwise it refuses it for
// reason.
func (p *Protection) checkTrusted(r *http.Request, reason Reason) Reason {
	v := r.Header["Origin"]
	switch {
	case len(v) == 0 || v[0] == "null":
		return reason
	case len(v) > 1:
		return ReasonOriginMalformed
	}
	if _, ok := origin.Parse(v[0]); !ok {
		return ReasonOriginMalformed
	}
	if p.trusted != nil && p.trusted(v[0]) {
		return 0
	}
	return reason
}

// checkOrigin is the fallback without Sec-Fetch-Site.
func (p *Protection) checkOrigin(r *http.Request) Reason {
	v := r.Header["Origin"]
	switch {
	case len(v) == 0:
		return 0
	case len(v) > 1:
		return ReasonOriginMalformed
	case v[0] == "null":
		return ReasonOriginMismatch
	}
	o, ok := origin.Parse(v[0])
	if !ok {
		return ReasonOriginMalformed
	}
	if sameOrigin(o, requestScheme(r, p.trustProto), r.Host) {
		return 0
	}
	if p.trusted != nil && p.trusted(v[0]) {
		return 0
	}
	return ReasonOriginMismatch
}

func (p *Protection) checkToken(r *http.Request) Reason {
	cookie, ok := cookieValue(r.Header, p.cookieName)
	if !ok {
		return ReasonCookieMissing
	}
	var sent string
	if v := r.Header[p.headerKey]; len(v) > 0 {
		sent = v[0]
	}
	if sent == "" {
		return ReasonTokenMissing
	}
	if !equalStrings(sent, cookie) {
		return ReasonTokenInvalid
	}
	return p.verify(sent)
}

// verify reports whether token is genuine and unexpired: 0, or why not. A
// genuine token is remembered, so that the session's later requests, safe
// or not, cost a map lookup rather than an HMAC.
func (p *Protection) verify(token string) Reason {
	now := p.clock()
	if expiry, ok := p.verified.get(token); ok {
		if now.Unix() >= expiry {
			return ReasonTokenExpired
		}
		return 0
	}
	var t rawToken
	if !t.decode(token) {
		return ReasonTokenInvalid
	}
	reason := p.keys.verify(&t, now)
	if reason == 0 {
		p.verified.add(token, t.expiry())
	}
	return reason
}

// isExempt reports whether path lies under one of the exempt prefixes.
func (p *Protection) isExempt(path string) bool {
	if len(p.exempt) == 0 || !cleanPath(path) {
		return false
	}
	for _, e := range p.exempt {
		if strings.HasPrefix(path, e) && (len(path) == len(e) || e[len(e)-1] == '/' || path[len(e)] == '/') {
			return true
		}
	}
	return false
}

// cleanPath reports whether path has no empty, "." or ".." segment, so that
// its prefix says where it leads.
func cleanPath(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] != '/' || i+1 == len(path) {
			continue
		}
		seg := path[i+1:]
		if j := strings.IndexByte(seg, '/'); j >= 0 {
			seg = seg[:j]
		}
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func (p *Protection) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// Protect applies the protection to one request on w. It returns nil when
// the request may proceed, and the caller then serves it. Otherwise it has
// written the 403 refusal and returns the Error that says why.
//
// In the token modes it also issues the token cookie: on a safe request
// when the request has no valid one, and on a refusal when the request's
// cookie is missing, forged or expired, so that the page can retry. A valid
// token is never replaced: it serves for its whole lifetime.
//
// Protect adds headers and never removes any, so CORS headers set before it
// reach the page with the refusal.
func (p *Protection) Protect(w http.ResponseWriter, r *http.Request) error {
	reason := p.check(r)
	if p.mode != FetchMetadata && (reason != 0 || isSafe(r.Method)) && !p.validCookie(r) {
		p.issue(w, r)
	}
	if reason == 0 {
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, reason.body())
	return Error{Reason: reason}
}

// Handler returns middleware that calls Protect and, when the request may
// proceed, next.
func (p *Protection) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Protect(w, r) == nil {
			next.ServeHTTP(w, r)
		}
	})
}

// validCookie reports whether the request carries a genuine, unexpired
// token cookie.
func (p *Protection) validCookie(r *http.Request) bool {
	v, ok := cookieValue(r.Header, p.cookieName)
	return ok && p.verify(v) == 0
}

// issue sets a new token cookie on w. The page must read it, so it is not
// HttpOnly; SameSite=Lax keeps other sites' subresource requests from
// carrying it.
func (p *Protection) issue(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     p.cookieName,
		Value:    p.keys.issue(p.clock(), p.ttl),
		Path:     "/",
		Domain:   p.cookieDom,
		MaxAge:   int(p.ttl / time.Second),
		Secure:   requestScheme(r, p.trustProto) == "https",
		SameSite: http.SameSiteLaxMode,
	})
}

package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/crossgate/crossgate/config"
)

// Role is what an admin key may do: config.RoleAdmin reads and writes,
// config.RoleViewer only reads.
type Role = config.Role

// Roles of admin keys, as the config file names them.
const (
	RoleAdmin  = config.RoleAdmin
	RoleViewer = config.RoleViewer
)

// Errors of Authenticate.
var (
	// ErrNoKey: the request carries no Authorization: Bearer key.
	ErrNoKey = errors.New("the Admin API needs a key: send Authorization: Bearer <key>")
	// ErrBadKey: the request's key is none of the configured keys.
	ErrBadKey = errors.New("the key is not one of admin.keys")
)

// Auth checks the Admin API's bearer keys.
//
// It keeps only the SHA-256 hash of each key, so that a memory dump or a
// debug print does not show the keys, and compares a presented key's hash
// with every stored hash in constant time: how long a check takes says
// nothing about how close a guess was, nor which key it was close to.
//
// An Auth without keys lets every request in as admin. Validation allows
// that only on a loopback admin listener (the developer's own machine); as
// a browser on that machine could still be steered at the listener by a
// hostile page, a keyless Auth refuses requests whose Origin is not the
// listener's own.
type Auth struct {
	keys []hashedKey
}

type hashedKey struct {
	name string
	sum  [sha256.Size]byte
	role Role
}

// NewAuth returns the Auth of the admin keys of a config. It refuses a key
// without a known role or shorter than config.MinAdminKeyLength, which
// config validation refuses too.
func NewAuth(keys []*config.AdminKey) (*Auth, error) {
	a := &Auth{}
	for i, k := range keys {
		if k == nil || len(k.Key) < config.MinAdminKeyLength {
			return nil, fmt.Errorf("admin key %d: a key of at least %d bytes is required", i+1, config.MinAdminKeyLength)
		}
		if k.Role != RoleAdmin && k.Role != RoleViewer {
			return nil, fmt.Errorf("admin key %d: role %q is not admin or viewer", i+1, k.Role)
		}
		a.keys = append(a.keys, hashedKey{name: k.Name, sum: sha256.Sum256([]byte(k.Key)), role: k.Role})
	}
	return a, nil
}

// Open reports whether a lets every request in, having no keys.
func (a *Auth) Open() bool { return len(a.keys) == 0 }

// Authenticate returns the role of the request's bearer key: ErrNoKey
// without one, ErrBadKey when it matches no configured key. Without keys
// every request is an admin.
func (a *Auth) Authenticate(r *http.Request) (Role, error) {
	_, role, err := a.identify(r)
	return role, err
}

func (a *Auth) identify(r *http.Request) (name string, role Role, err error) {
	if a.Open() {
		return "", RoleAdmin, nil
	}
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return "", "", ErrNoKey
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	found := -1
	// Every stored hash is compared, whichever matches, so that the time
	// taken does not depend on which key matched.
	for i := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], a.keys[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", "", ErrBadKey
	}
	return a.keys[found].name, a.keys[found].role, nil
}

// Require lets a request through to h when its key has the role, or a
// role that includes it (admin includes viewer). Otherwise it answers 401
// for a missing or unknown key and 403 for a viewer's key on an admin
// route, with a JSON error. h finds the key's name with KeyName.
func (a *Auth) Require(role Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Open() && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin", "the Admin API has no keys, so it answers only requests from its own origin; configure admin.keys to call it from elsewhere")
			return
		}
		name, got, err := a.identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="crossgate admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		if role == RoleAdmin && got != RoleAdmin {
			writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("key %q has the role %s, which only reads; this needs an admin key", name, got))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{name, got})))
	})
}

type callerKey struct{}

type caller struct {
	name string
	role Role
}

// KeyName returns the name of the admin key that Require let the request
// in with, for logs; empty when the Admin API has no keys.
func KeyName(ctx context.Context) string {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c.name
}

// KeyRole returns the role of the admin key that Require let the request
// in with; RoleAdmin when the Admin API has no keys, empty outside
// Require.
func KeyRole(ctx context.Context) Role {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c.role
}

// sameOrigin reports whether a request is not a browser's cross-origin
// request: it has no Origin, or an Origin whose host:port is the request's
// Host, and the Host is a loopback name or address (a hostile page's own
// name pointed at 127.0.0.1 is not).
func sameOrigin(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	_, rest, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(rest, r.Host)
}

package admin

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/csrf"
	"github.com/crossgate/crossgate/decisions"
)

// The console's files: plain ES modules and CSS, no build step.
//
//go:embed ui
var uiFiles embed.FS

// ConsoleCSP is the Content-Security-Policy of every response under /ui/:
// the console runs only its own scripts and styles, connects only to its
// own origin, and cannot be framed. No inline script or style is allowed,
// so a value that slipped into the page as markup could not run.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Console session and CSRF cookies.
const (
	sessionCookie = "crossgate_console"
	csrfCookie    = "crossgate_console_csrf"
	// CSRFHeader is the header in which the console's scripts send the
	// CSRF token back on every unsafe request.
	CSRFHeader = "X-CSRF-Token"
	// sessionTTL is how long a console login lasts.
	sessionTTL = 12 * time.Hour
	// maxSessions bounds the sessions kept; the oldest goes first.
	maxSessions = 256
)

// console serves the web console under /ui/: its files, its session, the
// live decisions (Server-Sent Events) and the views of the config; the
// Admin API under /ui/api/v1/, with the session's key.
type console struct {
	auth     *Auth
	log      *decisions.Log
	answer   func(*http.Request) decisions.Answer
	snapshot func() *config.Config
	api      http.Handler
	writable bool // a cluster store: the Admin API changes the config
	csrf     *csrf.Protection
	mux      *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one console login: the key it logged in with, which the
// console sends on the session's Admin API calls.
type session struct {
	name, key string
	role      Role
	expires   time.Time
}

func newConsole(o Options, auth *Auth, api http.Handler) *console {
	// A random secret: console tokens do not outlive the process, nor do
	// its sessions.
	p, err := csrf.New(csrf.Config{Mode: csrf.Both, CookieName: csrfCookie, HeaderName: CSRFHeader, TokenTTL: sessionTTL})
	if err != nil {
		panic("admin: console CSRF config: " + err.Error()) // a constant config
	}
	c := &console{auth: auth, log: o.Decisions, answer: o.Explain, snapshot: o.Config, api: api, writable: o.Store != nil, csrf: p,
		mux: http.NewServeMux(), sessions: make(map[string]*session)}
	files, _ := fs.Sub(uiFiles, "ui")
	static := http.StripPrefix("/ui/", http.FileServerFS(files))
	c.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "the console's files are read with GET")
			return
		}
		static.ServeHTTP(w, r)
	})
	c.mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	c.mux.HandleFunc("GET /ui/api/session", c.getSession)
	c.mux.HandleFunc("POST /ui/api/session", c.login)
	c.mux.HandleFunc("DELETE /ui/api/session", c.logout)
	c.mux.Handle("GET /ui/api/events", c.require(c.events))
	c.mux.Handle("GET /ui/api/config", c.require(c.config))
	c.mux.Handle("POST /ui/api/propose", c.require(c.propose))
	c.mux.Handle("/ui/api/v1/", c.require(c.proxy))
	return c
}

// ServeHTTP sets the console's security headers on every response, applies
// CSRF protection (Fetch Metadata and a token in CSRFHeader on unsafe
// methods) and serves the request.
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ConsoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if strings.HasPrefix(r.URL.Path, "/ui/api/") {
		h.Set("Cache-Control", "no-store")
	}
	if c.auth.Open() && !sameOrigin(r) {
		// Without keys anyone who reaches the listener is an admin, so only
		// a loopback Host is served: a hostile site whose name resolves to
		// 127.0.0.1 (DNS rebinding) gets nothing, as with the Admin API.
		writeError(w, http.StatusForbidden, "cross-origin", "the console has no admin keys, so it answers only on a loopback address (http://127.0.0.1:PORT/ui/ or http://localhost:PORT/ui/); configure admin.keys to reach it otherwise")
		return
	}
	if c.csrf.Protect(w, r) != nil {
		return
	}
	c.mux.ServeHTTP(w, r)
}

// who returns the request's session: every request is an admin when the
// Admin API has no keys.
func (c *console) who(r *http.Request) *session {
	if c.auth.Open() {
		return &session{role: RoleAdmin}
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s != nil && time.Now().After(s.expires) {
		delete(c.sessions, ck.Value)
		return nil
	}
	return s
}

// require serves h only to a request with a session.
func (c *console) require(h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.who(r)
		if s == nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", "log in to the console with an admin key")
			return
		}
		h(w, r, s)
	})
}

// sessionView is the JSON of GET /ui/api/session.
type sessionView struct {
	// Open reports that the Admin API has no keys: no login is needed.
	Open     bool   `json:"open"`
	LoggedIn bool   `json:"logged_in"`
	Name     string `json:"name,omitempty"`
	Role     Role   `json:"role,omitempty"`
}

func (c *console) getSession(w http.ResponseWriter, r *http.Request) {
	v := sessionView{Open: c.auth.Open()}
	if s := c.who(r); s != nil {
		v.LoggedIn, v.Name, v.Role = true, s.name, s.role
	}
	writeJSON(w, http.StatusOK, v)
}

// login starts a session for the admin key in the body, {"key": "..."}.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Key string `json:"key"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid-request", `the body must be {"key": "<admin key>"}`)
		return
	}
	probe := &http.Request{Header: http.Header{"Authorization": {"Bearer " + in.Key}}}
	name, role, err := c.auth.identify(probe)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", err.Error())
		return
	}
	id := newSessionID()
	now := time.Now()
	c.mu.Lock()
	if len(c.sessions) >= maxSessions {
		c.evictLocked(now)
	}
	c.sessions[id] = &session{name: name, key: in.Key, role: role, expires: now.Add(sessionTTL)}
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/ui/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, sessionView{Open: c.auth.Open(), LoggedIn: true, Name: name, Role: role})
}

// evictLocked makes room for a session: it drops the expired ones, or the
// one that expires first.
func (c *console) evictLocked(now time.Time) {
	oldest := ""
	for id, s := range c.sessions {
		if now.After(s.expires) {
			delete(c.sessions, id)
			continue
		}
		if oldest == "" || s.expires.Before(c.sessions[oldest].expires) {
			oldest = id
		}
	}
	if len(c.sessions) >= maxSessions {
		delete(c.sessions, oldest)
	}
}

func (c *console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.mu.Lock()
		delete(c.sessions, ck.Value)
		c.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/ui/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func newSessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// proxy serves /ui/api/v1/... as the Admin API serves /v1/..., with the
// session's key: the page never holds the key, only its session cookie.
func (c *console) proxy(w http.ResponseWriter, r *http.Request, s *session) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/ui/api")
	r2.URL.RawPath = ""
	r2.RequestURI = r2.URL.RequestURI()
	r2.Header.Del("Cookie")
	r2.Header.Del(CSRFHeader)
	r2.Header.Del("Authorization")
	if s.key != "" {
		r2.Header.Set("Authorization", "Bearer "+s.key)
	}
	c.api.ServeHTTP(w, r2)
}

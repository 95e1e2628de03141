package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/lint"
)

// MaxBodyBytes bounds the body of an Admin API request.
const MaxBodyBytes = 1 << 20

// requestTimeout bounds the store's work for one request.
const requestTimeout = 10 * time.Second

// validID is what a resource id may be in the Admin API's paths.
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// api serves /v1/: the config's resources, validation and the nodes.
type api struct {
	current func() *config.Config
	store   config.ResourceStore // nil in file mode
}

// registerAPI adds the Admin API to mux, each endpoint behind auth:
//
//	GET    /v1/config                          viewer
//	GET    /v1/{policies,upstreams,routes}/{id} viewer
//	PUT    /v1/{policies,upstreams,routes}/{id} admin
//	DELETE /v1/{policies,upstreams,routes}/{id} admin
//	POST   /v1/validate                        viewer
//	GET    /v1/nodes                           viewer
func registerAPI(mux *http.ServeMux, auth *Auth, a *api) {
	mux.Handle("GET /v1/config", auth.Require(RoleViewer, http.HandlerFunc(a.config)))
	for _, k := range config.Kinds {
		path := "/v1/" + string(k) + "/{id}"
		mux.Handle("GET "+path, auth.Require(RoleViewer, a.resource(k, a.get)))
		mux.Handle("PUT "+path, auth.Require(RoleAdmin, a.resource(k, a.write)))
		mux.Handle("DELETE "+path, auth.Require(RoleAdmin, a.resource(k, a.write)))
	}
	mux.Handle("POST /v1/validate", auth.Require(RoleViewer, http.HandlerFunc(a.validate)))
	mux.Handle("GET /v1/nodes", auth.Require(RoleViewer, http.HandlerFunc(a.nodes)))
	mux.Handle("/v1/", auth.Require(RoleViewer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not-found", "no such Admin API endpoint: "+r.URL.Path)
	})))
}

// ConfigBody is the body of GET /v1/config: the resources of the config,
// each as the JSON value GET /v1/{kind}/{id} returns.
type ConfigBody struct {
	// Mode is "file" (read-only) or "cluster".
	Mode string `json:"mode"`
	// Revision identifies the config: etcd's revision in a cluster, a
	// hash of the file otherwise.
	Revision  string                     `json:"revision"`
	Policies  map[string]json.RawMessage `json:"policies"`
	Upstreams map[string]json.RawMessage `json:"upstreams"`
	Routes    map[string]json.RawMessage `json:"routes"`
	Defaults  json.RawMessage            `json:"defaults,omitempty"`
	// Versions are the ETags of the resources, by "kind/id"; cluster only.
	Versions map[string]int64 `json:"versions,omitempty"`
}

func (a *api) config(w http.ResponseWriter, r *http.Request) {
	res, err := a.resources(r.Context())
	if err != nil {
		writeStoreError(w, err)
		return
	}
	routes := res.Routes
	if KeyRole(r.Context()) != RoleAdmin {
		routes = make(map[string]json.RawMessage, len(res.Routes))
		for id, v := range res.Routes {
			routes[id] = hideSecrets(v)
		}
	}
	body := ConfigBody{Mode: "cluster", Policies: res.Policies, Upstreams: res.Upstreams, Routes: routes, Defaults: res.Defaults, Versions: res.Versions}
	if a.store == nil {
		body.Mode, body.Revision = "file", a.current().Revision
	} else {
		body.Revision = strconv.FormatInt(res.Revision, 10)
	}
	writeJSON(w, http.StatusOK, body)
}

func (a *api) resources(ctx context.Context) (*config.Resources, error) {
	if a.store == nil {
		return config.ResourcesOf(a.current()), nil
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return a.store.Resources(ctx)
}

// resource checks the id of a request on one resource.
func (a *api) resource(k config.Kind, h func(http.ResponseWriter, *http.Request, config.Kind, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !validID.MatchString(id) {
			writeError(w, http.StatusBadRequest, "invalid-id", fmt.Sprintf("%q is not a valid id: use letters, digits, '.', '_' and '-', up to 100, starting with a letter or digit", id))
			return
		}
		h(w, r, k, id)
	})
}

func (a *api) get(w http.ResponseWriter, r *http.Request, k config.Kind, id string) {
	res, err := a.resources(r.Context())
	if err != nil {
		writeStoreError(w, err)
		return
	}
	v, ok := res.Of(k)[id]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", fmt.Sprintf("there is no %s/%s", k, id))
		return
	}
	if ver := res.Versions[config.VersionKey(k, id)]; ver > 0 {
		w.Header().Set("ETag", etag(ver))
	}
	if k == config.KindRoutes && KeyRole(r.Context()) != RoleAdmin {
		v = hideSecrets(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(v, '\n'))
}

// hiddenSecret stands for a route's CSRF secret in what a viewer reads.
const hiddenSecret = "(hidden: admin keys only)"

// hideSecrets returns a route's value with its CSRF secret replaced: a
// viewer reads the config, but must not be able to sign CSRF tokens.
func hideSecrets(route json.RawMessage) json.RawMessage {
	var r map[string]json.RawMessage
	var csrf map[string]any
	if json.Unmarshal(route, &r) != nil || json.Unmarshal(r["csrf"], &csrf) != nil || csrf["secret"] == nil {
		return route
	}
	csrf["secret"] = hiddenSecret
	r["csrf"], _ = json.Marshal(csrf)
	out, _ := json.Marshal(r)
	return out
}

// ChangeBody is the body of a successful PUT or DELETE.
type ChangeBody struct {
	Kind config.Kind `json:"kind"`
	ID   string      `json:"id"`
	// Version is the resource's new ETag; 0 once deleted.
	Version int64 `json:"version"`
}

// write serves PUT, with the resource as its body, and DELETE.
func (a *api) write(w http.ResponseWriter, r *http.Request, k config.Kind, id string) {
	if !a.writable(w) {
		return
	}
	ifMatch, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	var v json.RawMessage // nil deletes
	if r.Method == http.MethodPut {
		if v, ok = readJSONBody(w, r); !ok {
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	ver, err := a.store.Change(ctx, k, id, v, ifMatch)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	if ver > 0 {
		w.Header().Set("ETag", etag(ver))
	}
	writeJSON(w, http.StatusOK, ChangeBody{Kind: k, ID: id, Version: ver})
}

// writable answers 405 in file mode.
func (a *api) writable(w http.ResponseWriter) bool {
	if a.store != nil {
		return true
	}
	w.Header().Set("Allow", "GET")
	writeError(w, http.StatusMethodNotAllowed, "read-only", "this gateway reads its config from a file, so the Admin API is read-only: edit the file (it is reloaded on change), or run the gateway in cluster mode (crossgate serve --etcd ...) to change the config through the API")
	return false
}

func etag(ver int64) string { return `"` + strconv.FormatInt(ver, 10) + `"` }

// parseIfMatch returns the version of an If-Match header, 0 when there is
// none (the write is unconditional). A header that is not one ETag of this
// API is refused rather than ignored.
func parseIfMatch(w http.ResponseWriter, r *http.Request) (int64, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, true
	}
	ver, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || ver <= 0 || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || len(h) < 3 {
		writeError(w, http.StatusBadRequest, "invalid-if-match", fmt.Sprintf("If-Match %q is not an ETag of this API: send the ETag header of a GET of the resource, such as \"42\"", h))
		return 0, false
	}
	return ver, true
}

// readJSONBody reads a JSON request body of at most MaxBodyBytes.
func readJSONBody(w http.ResponseWriter, r *http.Request) (json.RawMessage, bool) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported-media-type", "send the resource as JSON, with Content-Type: application/json")
		return nil, false
	}
	data, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	if err := checkJSON(data); err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorBody{APIError{Code: "invalid-json", Message: err.Error()}})
		return nil, false
	}
	return data, true
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "unreadable-body", "the body could not be read: "+err.Error())
		return nil, false
	}
	return data, true
}

// checkJSON reports where a body is not one JSON object.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("the body is not valid JSON at byte %d: %v", se.Offset, err)
		}
		return fmt.Errorf("the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("the body holds more than one JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return errors.New("the body must be a JSON object of the resource's settings")
	}
	return nil
}

// ValidateBody is the body of a POST /v1/validate answer.
type ValidateBody struct {
	// Valid is false when a finding is an error: the gateway would
	// refuse the config.
	Valid    bool           `json:"valid"`
	Findings []lint.Finding `json:"findings"`
}

// validate lints a whole config sent as YAML or JSON. ${NAME} in it is
// not replaced from the gateway's environment.
func (a *api) validate(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	findings := lint.ParseLiteral("request", data)
	if findings == nil {
		findings = []lint.Finding{}
	}
	writeJSON(w, http.StatusOK, ValidateBody{Valid: lint.Refuse(findings) == nil, Findings: findings})
}

// NodesBody is the body of GET /v1/nodes: each node's status as it
// reports it. In file mode it lists only this node.
type NodesBody struct {
	Nodes []json.RawMessage `json:"nodes"`
}

func (a *api) nodes(w http.ResponseWriter, r *http.Request) {
	if a.store == nil {
		self, _ := json.Marshal(map[string]string{"source": "file", "revision": a.current().Revision})
		writeJSON(w, http.StatusOK, NodesBody{Nodes: []json.RawMessage{self}})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	nodes, err := a.store.Nodes(ctx)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, NodesBody{Nodes: nodes})
}

// writeStoreError answers the error of a store's read or change.
func writeStoreError(w http.ResponseWriter, err error) {
	var (
		es       config.Errors
		conflict *config.ConflictError
		inUse    *config.InUseError
	)
	switch {
	case errors.As(err, &es):
		body := ErrorBody{APIError{Code: "invalid-config", Message: "the change would make the config invalid; nothing was stored"}}
		for _, e := range es {
			msg, rule := e.Msg, string(e.Code)
			// lint.Refuse appends the rule of a lint error to its message.
			if i := strings.LastIndex(msg, " ["); i > 0 && strings.HasSuffix(msg, "]") && rule == "" {
				msg, rule = msg[:i], msg[i+2:len(msg)-1]
			}
			body.Error.Problems = append(body.Error.Problems, Problem{Path: e.Path, Message: msg, Rule: rule})
		}
		writeJSON(w, http.StatusBadRequest, body)
	case errors.As(err, &conflict):
		if conflict.Version > 0 {
			w.Header().Set("ETag", etag(conflict.Version))
		}
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.As(err, &inUse):
		writeJSON(w, http.StatusConflict, ErrorBody{APIError{Code: "in-use", Message: err.Error(), Routes: inUse.Routes}})
	case errors.Is(err, config.ErrNotFound):
		writeError(w, http.StatusNotFound, "not-found", err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, "store-unavailable", "the cluster's config store (etcd) did not answer, so nothing was read or changed; the gateway keeps serving its last good config. Retry when etcd is back: "+err.Error())
	}
}

package admin

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON body of every Admin API error:
//
//	{"error": {"code": "invalid-config", "message": "...",
//	           "problems": [{"path": "policies.web.allow_origins[0]", "message": "...", "rule": "..."}]}}
//
// Code is stable, for programs; Message is for people and says what to
// do. Problems lists each problem of a refused config, with the path of
// the value in the config tree and the message lint prints for it.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// APIError is the error of an ErrorBody.
type APIError struct {
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
	// Routes names the routes that use a resource that cannot be deleted.
	Routes []string `json:"routes,omitempty"`
}

// Problem is one problem of a refused config.
type Problem struct {
	// Path locates the value, as config.Error.Path does; empty for the
	// config as a whole.
	Path string `json:"path"`
	// Message is what lint prints for the problem.
	Message string `json:"message"`
	// Rule is the lint rule's id, or the cors library's problem code.
	Rule string `json:"rule,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{APIError{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

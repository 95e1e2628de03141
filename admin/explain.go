package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/crossgate/crossgate/config"
	"github.com/crossgate/crossgate/decisions"
)

// maxExplainBody bounds the body of POST /v1/explain: a request's origin,
// method, path and headers fit in far less.
const maxExplainBody = 64 << 10

// explain serves POST /v1/explain: a decisions.Request in, a
// decisions.Result out. The host defaults to the gateway's listen
// address, the scheme is https when the gateway serves TLS.
func explain(answer func(*http.Request) decisions.Answer, snapshot func() *config.Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req decisions.Request
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxExplainBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid-request", "the body must be one JSON object {origin, method, headers: [{name, value}], credentials, host, path}: "+err.Error())
			return
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			writeError(w, http.StatusBadRequest, "invalid-request", "the body must hold one JSON object and nothing after it")
			return
		}
		scheme := "http"
		if cfg := snapshot(); cfg != nil {
			if req.Host == "" {
				req.Host = cfg.Listen
			}
			if cfg.TLS != nil {
				scheme = "https"
			}
		}
		res, err := decisions.Explain(r.Context(), answer, scheme, req)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid-request", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

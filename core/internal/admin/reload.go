package admin

import (
	"context"
	"net/http"
)

// Reloader is a backend that can reload its configuration.
type Reloader interface {
	// ReloadConfig reloads and returns the outcome (JSON) and whether the
	// new configuration was applied.
	ReloadConfig(ctx context.Context) (result any, ok bool)
}

// mountReload serves POST /v1/reload: 200 with the outcome when the new
// configuration is applied, 422 with every diagnostic when it is refused
// (the running configuration is kept).
func (s *Server) mountReload(mux *http.ServeMux, r Reloader) {
	mux.HandleFunc("POST /v1/reload", func(w http.ResponseWriter, req *http.Request) {
		// A reload once asked for runs to its end, even if the caller
		// goes away: a half-done swap helps nobody.
		res, ok := r.ReloadConfig(context.WithoutCancel(req.Context()))
		status := http.StatusOK
		if !ok {
			status = http.StatusUnprocessableEntity
		}
		s.log.Info("admin: reload", "applied", ok)
		writeJSON(w, status, res)
	})
}

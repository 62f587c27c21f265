package admin

import "net/http"

// Console is the web console (/ui/); the engine provides it. It is asked
// once, when the server is built, and given a channel that is closed when
// the server shuts down so that its streams end.
type Console interface {
	Console(closing <-chan struct{}) http.Handler
}

func (s *Server) mountConsole(mux *http.ServeMux, c Console) {
	mux.Handle("/ui/", c.Console(s.closing))
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
}

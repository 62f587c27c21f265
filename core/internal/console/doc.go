// Package console is the web console served on the admin listener under
// /ui/: an overview of every pipeline and sink (live over server-sent
// events), the delivery list and detail, replay, the live tail and the
// transform playground. Pages are rendered on the server with
// html/template; a little plain JavaScript (fetch, EventSource) does the
// live parts. Every asset is embedded; nothing is fetched at run time.
//
// Access: with an admin token configured, a login form takes the token
// (compared in constant time) and starts a server-side session named by
// a random id in an HttpOnly, SameSite=Strict cookie limited to /ui/.
// Without a token (an admin listener on loopback) the console is open,
// and every visitor still gets a session for its CSRF token. Every
// state-changing request must come from this origin (Origin or Referer)
// and carry the session's CSRF token.
//
// It reads through Backend (history, replay, the tap hub, stored events,
// transform runs, per-sink counters) and imports queue, tap and sdk
// only; admin mounts it, the engine implements Backend.
package console

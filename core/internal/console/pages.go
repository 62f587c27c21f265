package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
)

var pageNames = []string{"login", "overview", "deliveries", "detail", "confirm", "replayed", "tail", "playground", "error"}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.UTC().Format("2006-01-02 15:04:05.000")
		},
		"ms": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + " ms" },
	}
	out := map[string]*template.Template{}
	for _, n := range pageNames {
		out[n] = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return out
}

// view is what every page template gets.
type view struct {
	Title string
	Nav   string
	CSRF  string
	// SignedIn shows the sign-out button (not when the console is open).
	SignedIn bool
	D        any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, status int, data any) {
	v := view{Title: name, Nav: name, D: data}
	if s := sessionOf(r); s != nil {
		v.CSRF, v.SignedIn = s.csrf, !c.open
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: rendering", "page", name, "error", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, "error", status, map[string]any{"Status": status, "Message": msg})
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	rows, err := c.stats.snapshot(r.Context())
	if err != nil {
		c.fail(w, r, 500, err.Error())
		return
	}
	c.render(w, r, "overview", 200, map[string]any{"Rows": rows})
}

// sse prepares a server-sent event stream that outlives the server's
// write timeout.
func sse(w http.ResponseWriter) (http.Flusher, bool) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", 500)
		return nil, false
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	return fl, true
}

// overviewEvery is how often the overview stream sends numbers.
const overviewEvery = 2 * time.Second

func (c *Console) overviewStream(w http.ResponseWriter, r *http.Request) {
	fl, ok := sse(w)
	if !ok {
		return
	}
	t := time.NewTicker(overviewEvery)
	defer t.Stop()
	for {
		rows, err := c.stats.snapshot(r.Context())
		if err == nil {
			b, _ := json.Marshal(rows)
			if _, err := fmt.Fprintf(w, "event: stats\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-c.closing:
			return
		case <-t.C:
		}
	}
}

// pageSize is the deliveries list's page.
const pageSize = 50

const timeForm = "2006-01-02T15:04"

var states = []string{queue.StateDelivering, queue.StateRetrying, queue.StateSucceeded, queue.StateDead}

// listFilter is the deliveries list's query string.
type listFilter struct {
	State, Pipeline, Sink, Type, Text, Since, Until string
	Page                                            int
}

func parseFilter(v url.Values) (listFilter, queue.Query, error) {
	f := listFilter{State: v.Get("state"), Pipeline: v.Get("pipeline"), Sink: v.Get("sink"), Type: v.Get("type"),
		Text: v.Get("q"), Since: v.Get("since"), Until: v.Get("until")}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	q := queue.Query{State: f.State, Pipeline: f.Pipeline, Sink: f.Sink, EventType: f.Type, Text: f.Text,
		Offset: (f.Page - 1) * pageSize, Limit: pageSize}
	if f.State != "" && !slices.Contains(states, f.State) {
		return f, q, fmt.Errorf("state %q: use one of %s", f.State, strings.Join(states, ", "))
	}
	var err error
	if q.Since, err = parseTime(f.Since); err != nil {
		return f, q, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = parseTime(f.Until); err != nil {
		return f, q, fmt.Errorf("until: %w", err)
	}
	return f, q, nil
}

// parseTime reads the form's UTC time (2006-01-02T15:04, seconds allowed)
// or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{timeForm, "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-01-31T14:05 (UTC)", s)
}

func (f listFilter) link(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"state": f.State, "pipeline": f.Pipeline, "sink": f.Sink, "type": f.Type, "q": f.Text, "since": f.Since, "until": f.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/ui/deliveries"
	}
	return "/ui/deliveries?" + v.Encode()
}

func (c *Console) searcher(w http.ResponseWriter, r *http.Request) (queue.Searcher, bool) {
	x, ok := c.b.History().(queue.Searcher)
	if !ok {
		c.fail(w, r, 500, "this queue's history cannot be searched")
	}
	return x, ok
}

func (c *Console) names(r *http.Request) (pipelines, sinks []string) {
	all, _ := c.b.Sinks(r.Context())
	for _, s := range all {
		if !slices.Contains(pipelines, s.Pipeline) {
			pipelines = append(pipelines, s.Pipeline)
		}
		if !slices.Contains(sinks, s.Sink) {
			sinks = append(sinks, s.Sink)
		}
	}
	return pipelines, sinks
}

func (c *Console) deliveries(w http.ResponseWriter, r *http.Request) {
	f, q, err := parseFilter(r.URL.Query())
	if err != nil {
		c.fail(w, r, 400, err.Error())
		return
	}
	x, ok := c.searcher(w, r)
	if !ok {
		return
	}
	p, err := x.Search(r.Context(), q)
	if err != nil {
		c.fail(w, r, 500, err.Error())
		return
	}
	pages := max(1, (p.Total+pageSize-1)/pageSize)
	d := map[string]any{"F": f, "Page": p, "States": states, "Pages": pages,
		"From": min(q.Offset+1, p.Total), "To": q.Offset + len(p.Items), "Now": c.now().UTC().Format(timeForm)}
	d["Pipelines"], d["Sinks"] = c.names(r)
	if f.Page > 1 {
		d["Prev"] = f.link(f.Page - 1)
	}
	if f.Page < pages {
		d["Next"] = f.link(f.Page + 1)
	}
	c.render(w, r, "deliveries", 200, d)
}

// shownBody bounds the body shown on a page; the rest is downloaded.
const shownBody = 32 << 10

func (c *Console) record(w http.ResponseWriter, r *http.Request) (queue.DeliveryID, *queue.Record, bool) {
	id, err := queue.ParseDeliveryID(r.PathValue("id"))
	if err != nil {
		c.fail(w, r, 400, err.Error())
		return id, nil, false
	}
	rec, err := c.b.History().Get(r.Context(), id)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		c.fail(w, r, 404, "no delivery "+id.String()+" is stored")
		return id, nil, false
	case err != nil:
		c.fail(w, r, 500, err.Error())
		return id, nil, false
	}
	return id, rec, true
}

func (c *Console) detail(w http.ResponseWriter, r *http.Request) {
	id, rec, ok := c.record(w, r)
	if !ok {
		return
	}
	d := map[string]any{"R": rec}
	ev, err := c.b.StoredEvent(r.Context(), id)
	if err != nil {
		d["EventError"] = "The event is no longer stored: " + err.Error()
	} else {
		view := tap.FromEvent(ev)
		keys := make([]string, 0, len(view.Headers))
		for k := range view.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		type header struct{ Name, Value string }
		hs := make([]header, 0, len(keys))
		for _, k := range keys {
			hs = append(hs, header{k, view.Headers[k]})
		}
		body := ev.Body
		if len(body) <= 4<<20 && json.Valid(body) { // pretty-printing costs a copy
			var b bytes.Buffer
			if json.Indent(&b, body, "", "  ") == nil {
				body = b.Bytes()
			}
		}
		shown := string(body)
		truncated := len(body) > shownBody
		if truncated {
			shown = strings.ToValidUTF8(string(body[:shownBody]), "") + "\n…"
		}
		d["Event"], d["Headers"], d["Body"], d["Truncated"], d["Size"] = view, hs, shown, truncated, len(ev.Body)
	}
	c.render(w, r, "detail", 200, d)
}

// body downloads the event's raw body; never rendered by the browser.
func (c *Console) body(w http.ResponseWriter, r *http.Request) {
	id, err := queue.ParseDeliveryID(r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	ev, err := c.b.StoredEvent(r.Context(), id)
	if err != nil {
		http.Error(w, "event not stored: "+err.Error(), 404)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id.String()+".body"))
	w.Header().Set("Content-Length", strconv.Itoa(len(ev.Body)))
	_, _ = w.Write(ev.Body)
}

// maxReplay bounds one replay request.
const maxReplay = 10000

// replay is two steps: the first POST shows how many deliveries will be
// replayed; the second (confirm=yes) replays them. It takes ids (one or
// a selection) or mode=dead with a pipeline, a sink and a since time:
// every dead delivery of that sink updated since then (and before the
// confirmation page was shown).
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ids := r.PostForm["id"]
	d := map[string]any{}
	if r.PostFormValue("mode") == "dead" {
		pl, sk := r.PostFormValue("pipeline"), r.PostFormValue("sink")
		since, err := parseTime(r.PostFormValue("since"))
		if err != nil || pl == "" || sk == "" {
			c.fail(w, r, 400, "replaying dead deliveries needs a pipeline, a sink and a since time (UTC)")
			return
		}
		until := c.now()
		if u := r.PostFormValue("until"); u != "" {
			if until, err = time.Parse(time.RFC3339Nano, u); err != nil {
				c.fail(w, r, 400, "until: "+err.Error())
				return
			}
		}
		x, ok := c.searcher(w, r)
		if !ok {
			return
		}
		ids = nil
		for off := 0; len(ids) < maxReplay; off += 1000 {
			p, err := x.Search(r.Context(), queue.Query{State: queue.StateDead, Pipeline: pl, Sink: sk, Since: since, Until: until, Offset: off, Limit: 1000})
			if err != nil {
				c.fail(w, r, 500, err.Error())
				return
			}
			for _, s := range p.Items {
				ids = append(ids, s.ID)
			}
			if len(p.Items) < 1000 {
				break
			}
		}
		d["Mode"], d["Pipeline"], d["Sink"], d["Since"], d["Until"] = "dead", pl, sk, r.PostFormValue("since"), until.Format(time.RFC3339Nano)
	} else {
		d["IDs"] = ids
	}
	if len(ids) > maxReplay {
		ids = ids[:maxReplay]
	}
	if len(ids) == 0 {
		c.fail(w, r, 400, "nothing to replay: select deliveries, or name a sink with dead deliveries since that time")
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		d["Count"], d["Sample"] = len(ids), ids[:min(len(ids), 20)]
		c.render(w, r, "confirm", 200, d)
		return
	}
	var done []string
	failed := map[string]string{}
	for _, s := range ids {
		id, err := queue.ParseDeliveryID(s)
		if err == nil {
			err = c.b.Replay(r.Context(), id)
		}
		if err != nil {
			failed[s] = err.Error()
			continue
		}
		done = append(done, s)
	}
	c.log.Info("console: replay", "replayed", len(done), "failed", len(failed))
	c.render(w, r, "replayed", 200, map[string]any{"Done": done, "Failed": failed})
}

func (c *Console) tail(w http.ResponseWriter, r *http.Request) {
	pipelines, _ := c.names(r)
	p := r.URL.Query().Get("pipeline")
	if p == "" && len(pipelines) > 0 {
		p = pipelines[0]
	}
	c.render(w, r, "tail", 200, map[string]any{"Pipeline": p, "Pipelines": pipelines})
}

// tailEvent is what the live tail shows of an event.
type tailEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	ReceivedAt time.Time `json:"received_at"`
	Size       int       `json:"size"`
	Preview    string    `json:"preview"`
}

func (c *Console) tailStream(w http.ResponseWriter, r *http.Request) {
	pipeline := r.URL.Query().Get("pipeline")
	if pipeline == "" {
		http.Error(w, "name a pipeline", 400)
		return
	}
	sub := c.b.Tap().Subscribe(pipeline, 256)
	defer c.b.Tap().Unsubscribe(sub)
	if !tap.StartStream(w, "watching") {
		return
	}
	tap.Stream(w, r, c.closing, sub, func(ev tap.Event) []byte {
		b, _ := json.Marshal(tailEvent{ID: ev.ID, Type: ev.Type, ReceivedAt: ev.ReceivedAt, Size: len(ev.Body),
			Preview: clip(strings.ToValidUTF8(string(ev.Body[:min(len(ev.Body), 1024)]), "?"), 300)})
		return b
	})
}

const sampleEvent = `{
  "type": "demo",
  "headers": {"content-type": "application/json"},
  "body": {"action": "opened", "number": 7}
}`

func (c *Console) playground(w http.ResponseWriter, r *http.Request) {
	all, _ := c.b.Sinks(r.Context())
	d := map[string]any{"Sinks": all, "Delivery": r.URL.Query().Get("delivery"), "Sample": sampleEvent}
	if id, err := queue.ParseDeliveryID(d["Delivery"].(string)); err == nil {
		d["Selected"] = id.Pipeline + "/" + id.Sink
	}
	c.render(w, r, "playground", 200, d)
}

// playgroundRun passes the JSON of a transform run (the same request as
// POST /v1/transform/run) to the engine and returns its result.
func (c *Console) playgroundRun(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": err.Error()})
		return
	}
	res, err := c.b.RunTransform(r.Context(), body)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		writeJSON(w, 404, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, 400, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, 200, res)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

package javascript

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/sdk"
)

// pushToChat is the mapping benchmarked in JavaScript and, below, in Go.
const pushToChat = `
function transform(event) {
  const b = event.body;
  const commits = b.commits.map(c => ({ id: c.id.slice(0, 7), message: c.message.split("\n")[0], author: c.author.name }));
  return {
    text: b.pusher.name + " pushed " + b.commits.length + " commit(s) to " + b.repository.full_name + " (" + b.ref + ")",
    repository: b.repository.full_name,
    url: b.compare,
    sender: b.sender.login,
    commits: commits,
  };
}`

type pushPayload struct {
	Ref     string `json:"ref"`
	Compare string `json:"compare"`
	Commits []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		Author  struct {
			Name string `json:"name"`
		} `json:"author"`
	} `json:"commits"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Pusher struct {
		Name string `json:"name"`
	} `json:"pusher"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
}

type chatCommit struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Author  string `json:"author"`
}

// goMapping is pushToChat written in Go: the baseline.
func goMapping(body []byte) ([]byte, error) {
	var p pushPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	commits := make([]chatCommit, len(p.Commits))
	for i, c := range p.Commits {
		msg := c.Message
		for j := range len(msg) {
			if msg[j] == '\n' {
				msg = msg[:j]
				break
			}
		}
		commits[i] = chatCommit{ID: c.ID[:min(7, len(c.ID))], Message: msg, Author: c.Author.Name}
	}
	return json.Marshal(map[string]any{
		"text":       fmt.Sprintf("%s pushed %d commit(s) to %s (%s)", p.Pusher.Name, len(p.Commits), p.Repository.FullName, p.Ref),
		"repository": p.Repository.FullName,
		"url":        p.Compare,
		"sender":     p.Sender.Login,
		"commits":    commits,
	})
}

func pushMessage(b testing.TB) sdk.Message {
	body := corpus.Read(b, "octokit-webhooks/api.github.com/push/with-new-branch.payload.json")
	return sdk.MessageFromEvent(&sdk.Event{ID: "bench", Type: "push", ReceivedAt: time.Now(), Body: body, ContentType: "application/json",
		Header: sdk.Header{"x-github-event": {"push"}, "content-type": {"application/json"}}})
}

// BenchmarkPushMapping compares the same mapping three ways on a real
// GitHub push delivery: JS with the body decoded in Go and built as JS
// values as the script reads them (the default), the same built up front,
// JS with JSON.parse inside goja, and plain Go.
func BenchmarkPushMapping(b *testing.B) {
	msg := pushMessage(b)
	want, err := goMapping(msg.Body)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"js_decode_go_lazy", "js_decode_go_eager", "js_decode_jsonparse"} {
		b.Run(mode, func(b *testing.B) {
			tr, err := New(context.Background(), sdk.Config{Values: []byte(fmt.Sprintf(`{"code":%q,"pool_size":1}`, pushToChat))})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close(context.Background())
			tr.SetDecodeInJS(mode == "js_decode_jsonparse")
			tr.SetEagerDecode(mode == "js_decode_go_eager")
			out, err := tr.Transform(context.Background(), msg)
			if err != nil || len(out) != 1 {
				b.Fatal(err)
			}
			assertSameJSON(b, out[0].Body, want)
			b.SetBytes(int64(len(msg.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Transform(context.Background(), msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("go_baseline", func(b *testing.B) {
		b.SetBytes(int64(len(msg.Body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := goMapping(msg.Body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPushMappingParallel runs the JS mapping from all CPUs through a
// pool of that many runtimes.
func BenchmarkPushMappingParallel(b *testing.B) {
	msg := pushMessage(b)
	tr, err := New(context.Background(), sdk.Config{Values: []byte(fmt.Sprintf(`{"code":%q}`, pushToChat))})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close(context.Background())
	b.SetBytes(int64(len(msg.Body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tr.Transform(context.Background(), msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func assertSameJSON(tb testing.TB, got, want []byte) {
	tb.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		tb.Fatal(err)
	}
	_ = json.Unmarshal(want, &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		tb.Fatalf("JS and Go mappings differ:\n js %s\n go %s", gb, wb)
	}
}

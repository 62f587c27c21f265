package ingress

import (
	"context"
	"strings"
	"sync"

	"github.com/hookferry/hookferry/core/internal/telemetry"
)

// table is one immutable route table (exact path -> endpoint). A request
// holds the table it resolved its route in (a read lock) until its
// endpoint returns, so that a table swapped out by SetRoutes is known to
// be unused once its write lock is taken.
type table struct {
	routes map[string]Endpoint
	allow  map[string]string             // path -> Allow header
	meters map[string]*telemetry.Ingress // path -> the endpoint's meter
	mu     sync.RWMutex
	// retired is set, under mu, once the table was replaced and every
	// request that resolved a route in it finished.
	retired bool
}

func newTable(routes map[string]Endpoint) *table {
	t := &table{routes: routes, allow: make(map[string]string, len(routes)), meters: make(map[string]*telemetry.Ingress, len(routes))}
	for p, ep := range routes {
		t.allow[p] = strings.Join(ep.Methods(), ", ")
		if m, ok := ep.(Metered); ok {
			t.meters[p] = m.Meter()
		}
	}
	return t
}

// acquire returns the current table, held until release. A request that
// loaded a table just as it was retired loads the new one.
func (s *Server) acquire() *table {
	for {
		t := s.table.Load()
		t.mu.RLock()
		if !t.retired {
			return t
		}
		t.mu.RUnlock()
	}
}

func (t *table) release() { t.mu.RUnlock() }

// SetRoutes replaces the whole route table at once: a request sees either
// the old routes or the new ones, never a mix. It then waits until every
// request routed by the old table has finished (each is bounded by the
// handler timeout), or ctx ends; after a nil return no endpoint of the old
// table is in use or will be called again.
func (s *Server) SetRoutes(ctx context.Context, routes map[string]Endpoint) error {
	old := s.table.Swap(newTable(routes))
	done := make(chan struct{})
	go func() {
		old.mu.Lock()
		old.retired = true
		old.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

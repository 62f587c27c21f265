package delivery

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
)

// Plugin is a plugin process some of a sink's components run in
// (*pluginhost.Plugin in the engine).
type Plugin interface {
	Name() string
	// Generation counts the process's restarts.
	Generation() uint64
	// Restarted is closed once the process has restarted more than after
	// times.
	Restarted(after uint64) <-chan struct{}
	// Unavailable reports whether err means the process could not be
	// reached (it died, it is restarting) rather than a component's answer.
	Unavailable(err error) bool
	// Exited reports whether the current process has exited.
	Exited() bool
	// Crashed reports whether generation gen ended on its own (a panic,
	// an exit status, a fault) rather than stopped from outside.
	Crashed(gen uint64) bool
}

// PoisonStrikes is how many times a plugin may crash while one message is
// the only one in it before that message is dead-lettered as the cause.
const PoisonStrikes = 2

// recoverAfter is how many solo successes end a plugin's recovery.
const recoverAfter = 3

// DefaultPluginWait bounds how long a delivery waits for a plugin to come
// back before it is handed back to the queue.
const DefaultPluginWait = time.Minute

// PluginGuard is shared by every sink whose components run in one plugin.
// After the plugin stopped, calls into it go one at a time, with nothing
// else in flight, until a few succeed: a message that stops it again
// while alone is the suspect, and the others are not blamed with it.
type PluginGuard struct {
	Plugin Plugin

	mu         sync.Mutex
	cond       *sync.Cond
	inflight   int
	solo       bool // a lone call is in the plugin
	recovering bool
	successes  int
	dead       uint64 // generation+1 known to have stopped; 0: none
}

// NewPluginGuard guards one plugin.
func NewPluginGuard(p Plugin) *PluginGuard {
	g := &PluginGuard{Plugin: p}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter admits one attempt; while recovering, it waits to be alone and
// reports true.
func (g *PluginGuard) enter() (alone bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.recovering {
		for g.solo || g.inflight > 0 {
			g.cond.Wait()
		}
		g.solo, alone = true, true
	}
	g.inflight++
	return alone
}

func (g *PluginGuard) leave(alone, ok bool) {
	g.mu.Lock()
	g.inflight--
	if alone {
		g.solo = false
		if ok {
			if g.successes++; g.successes >= recoverAfter {
				g.recovering = false
			}
		}
	}
	g.cond.Broadcast()
	g.mu.Unlock()
}

// stopped notes that generation gen of the process stopped.
func (g *PluginGuard) stopped(gen uint64) {
	g.mu.Lock()
	g.recovering, g.successes = true, 0
	g.dead = max(g.dead, gen+1)
	g.mu.Unlock()
}

// knownDead reports whether generation gen is known to have stopped.
func (g *PluginGuard) knownDead(gen uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dead == gen+1
}

func (w *Worker) pluginWait() time.Duration {
	if w.PluginWait > 0 {
		return w.PluginWait
	}
	return DefaultPluginWait
}

// restartedMeanwhile reports whether a plugin of the sink is known to have
// stopped, or has moved on to another process, since gens was read.
func (w *Worker) restartedMeanwhile(gens []uint64) bool {
	for i, g := range w.Sink.Plugins {
		if g.knownDead(gens[i]) || g.Plugin.Generation() != gens[i] {
			return true
		}
	}
	return false
}

// enterPlugins admits the attempt into every plugin of the sink; alone
// lists those where it is the only call (they are recovering).
func (w *Worker) enterPlugins() (alone []*PluginGuard) {
	for _, g := range w.Sink.Plugins {
		if g.enter() {
			alone = append(alone, g)
		}
	}
	return alone
}

// leavePlugins lets the attempt out; ok reports an attempt the plugins
// answered.
func (w *Worker) leavePlugins(alone []*PluginGuard, ok bool) {
	for _, g := range w.Sink.Plugins {
		g.leave(slices.Contains(alone, g), ok)
	}
}

// unavailable finds the plugin behind a component error that means the
// plugin process is down, and notes that generation gens[i] stopped.
func (w *Worker) unavailable(err error, gens []uint64) *PluginGuard {
	if err == nil {
		return nil
	}
	for i, g := range w.Sink.Plugins {
		if g.Plugin.Unavailable(err) {
			if gens != nil {
				g.stopped(gens[i])
			}
			return g
		}
	}
	return nil
}

// stoppedDuring finds a plugin that restarted or exited since gens were
// read; note records the stop.
func (w *Worker) stoppedDuring(gens []uint64, note bool) *PluginGuard {
	for i, g := range w.Sink.Plugins {
		if g.Plugin.Generation() != gens[i] || g.Plugin.Exited() {
			if note {
				g.stopped(gens[i])
			}
			return g
		}
	}
	return nil
}

// anyKnownDead reports whether a plugin's current process is known to
// have stopped (the attempt would only fail).
func (w *Worker) anyKnownDead(gens []uint64) bool {
	for i, g := range w.Sink.Plugins {
		if g.knownDead(gens[i]) {
			return true
		}
	}
	return false
}

// waitRestart waits until one of the sink's plugins restarted since gens
// were read, renewing the delivery's lease. It reports false when ctx
// ended or the wait bound passed first.
func (w *Worker) waitRestart(ctx context.Context, d queue.Delivery, gens []uint64) bool {
	bound := time.NewTimer(w.pluginWait())
	defer bound.Stop()
	hold := time.NewTicker(w.holdEvery())
	defer hold.Stop()
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(bound.C)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(hold.C)},
	}
	for i, g := range w.Sink.Plugins {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(g.Plugin.Restarted(gens[i]))})
	}
	for {
		switch i, _, _ := reflect.Select(cases); i {
		case 0, 1:
			return false
		case 2:
			_ = d.InProgress()
		default:
			return true
		}
	}
}

package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The backlog phase (-backlog N, hookferry modes only, last round): the
// destination goes down (it answers 503 and counts nothing), N events
// are sent closed loop, then the destination comes back and the drain is
// timed. It shows what an outage leaves behind: peak RSS while the
// backlog builds and while it drains, and the drain rate against the
// steady delivered/s of the same mode in the same run.
//
// The drain rate is taken between 5% and 95% of the backlog delivered:
// the events that met the outage first wait out their retry delay, and
// the breaker notices the destination within its cooldown, neither of
// which is the rate the backlog drains at.
type backlog struct {
	n                 int64         // events acknowledged during the outage
	fill              float64       // their acked/s
	fillRSS, drainRSS int64         // the largest VmRSS (KiB) seen in each part
	drainRate         float64       // delivered/s between 5% and 95% of n
	all               time.Duration // from the destination's return to the last event (0: not within -drain)
	got               int64         // delivered when the wait ended
}

// backlogPhase runs the outage and the drain against the server pid.
func backlogPhase(ctx context.Context, o options, url, mode string, pid int, delivered *atomic.Int64, down *atomic.Bool) (backlog, error) {
	var b backlog
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // VmRSS, four times a second
		defer close(sampled)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if v := currentRSS(pid); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-sampled
	}()

	down.Store(true)
	fo := o
	fo.n = o.backlog
	p, err := closedLoop(ctx, fo, url, mode, pid, delivered, false)
	if err != nil {
		return b, err
	}
	b.n, b.fill = p.ok, p.acked
	b.fillRSS = peak.Swap(0)

	base := delivered.Load() // what got through (nothing: the destination was down)
	up := time.Now()
	down.Store(false)
	at := func(frac float64) (time.Duration, bool) {
		want := base + int64(frac*float64(b.n))
		deadline := up.Add(o.drain)
		for delivered.Load() < want {
			if ctx.Err() != nil || time.Now().After(deadline) {
				return 0, false
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(up), true
	}
	t5, ok5 := at(0.05)
	t95, ok95 := at(0.95)
	if ok5 && ok95 && t95 > t5 {
		b.drainRate = 0.9 * float64(b.n) / (t95 - t5).Seconds()
	}
	if all, ok := at(1); ok {
		b.all = all
	}
	b.got = delivered.Load() - base
	b.drainRSS = peak.Load()
	return b, nil
}

// currentRSS is VmRSS of process pid in KiB (0 when unknown).
func currentRSS(pid int) int64 { return procStatusKiB(pid, "VmRSS:") }

// reportBacklog prints the backlog phase of every mode that ran it.
func reportBacklog(o options, modes []string, med map[string]sample, results map[string][]sample) {
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', tabwriter.AlignRight)
	printed := false
	for _, m := range modes {
		var b backlog
		for _, s := range results[m] {
			if s.backlog.n > 0 {
				b = s.backlog
			}
		}
		if b.n == 0 {
			continue
		}
		if !printed {
			fmt.Fprintf(o.out, "backlog (destination down for %d events, then back; last round):\n", o.backlog)
			fmt.Fprintln(tw, "mode\tbacklog\tfill acked/s\tpeak RSS filling\tdrain delivered/s (5–95%)\tvs steady delivered/s\tall delivered in\tpeak RSS draining\t")
			printed = true
		}
		all := fmt.Sprintf("%d of %d after %v", b.got, b.n, o.drain)
		if b.all > 0 {
			all = b.all.Round(100 * time.Millisecond).String()
		}
		vs := "-"
		if d := med[m].closed.delivered; d > 0 {
			vs = fmt.Sprintf("%.2f (target ≥ 1)", b.drainRate/d)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f MiB\t%.0f\t%s\t%s\t%.0f MiB\t\n", m, b.n, b.fill, float64(b.fillRSS)/1024,
			b.drainRate, vs, all, float64(b.drainRSS)/1024)
	}
	_ = tw.Flush()
}

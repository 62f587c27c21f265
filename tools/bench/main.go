package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/valyala/fasthttp"
)

// ourModes run the hookferry binary; refModes are the reference servers.
// benthosMode, a reference too, runs only with -benthos (a Benthos binary
// built from tools/bench/benthos).
var (
	ourModes = []string{"interval-js", "always-js", "memory-js", "interval", "memory"}
	refModes = []string{"bare", "forward"}
)

const benthosMode = "benthos"

// reference says whether mode is one of the reference servers.
func reference(mode string) bool { return slices.Contains(refModes, mode) || mode == benthosMode }

type options struct {
	bin, base   string
	benthos     string // Benthos binary for the benthos mode
	body        []byte
	modes       []string
	rounds      int
	n, conc     int
	rate        float64 // open-loop requests/s; 0: half the closed-loop acked/s
	open        time.Duration
	drain       time.Duration // longest wait for the destination to catch up
	self        string        // this binary, for the reference servers
	env         []string      // extra environment for hookferry (GOMEMLIMIT, GOGC...)
	baseEnv     []string      // the same for the base/ modes
	profileDir  string
	telemetry   bool // also run each hookferry mode as its telemetry variants (telemetry.go)
	backlog     int  // events sent while the destination is down, then drained (backlog.go); 0 skips it
	sinkConc    int  // the sink's concurrency in hookferry's config
	out, errOut io.Writer
}

func main() {
	serveIfChild()
	var o options
	bodyPath := flag.String("body", "", "request body (default: the GitHub push from testdata/corpus)")
	modes := flag.String("modes", strings.Join(append(slices.Clone(refModes), ourModes...), ","), "modes to run, comma-separated")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	smoke := flag.Bool("smoke", false, "a short run that checks the tool: 300 requests, 1 round, 1 s open loop at 100/s")
	flag.StringVar(&o.bin, "bin", "", "hookferry binary (required unless only reference modes run)")
	flag.StringVar(&o.benthos, "benthos", "", "a Benthos binary (cd tools/bench/benthos && go build -o /tmp/benthos-ref .): adds the reference mode benthos")
	flag.StringVar(&o.base, "base", "", "a second hookferry binary (the before of a change): its modes run as base/<mode>")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds; figures are medians")
	flag.IntVar(&o.n, "n", 20000, "closed-loop requests per mode and round")
	flag.IntVar(&o.conc, "c", 64, "closed-loop concurrent senders (connections)")
	flag.Float64Var(&o.rate, "rate", 0, "open-loop requests/s (0: half of the mode's closed-loop acked/s in the same round)")
	flag.DurationVar(&o.open, "open", 10*time.Second, "open-loop phase length (0 skips it)")
	flag.DurationVar(&o.drain, "drain", 2*time.Minute, "longest wait for delivery to catch up after a phase")
	flag.BoolVar(&o.telemetry, "telemetry", false, "also run each hookferry mode with metrics and tracing off, tracing at ratio 0 and 0.1, and both on (modes MODE+off, +trace0, +trace0.1, +all), and print each one's cost")
	flag.IntVar(&o.sinkConc, "sink-concurrency", 64, "the hookferry sink's concurrency (deliveries in flight)")
	flag.IntVar(&o.backlog, "backlog", 0, "after the other phases (last round, hookferry modes): send this many events while the destination is down, then time the drain (e.g. 1000000)")
	flag.StringVar(&o.profileDir, "profile", "", "write CPU and allocation profiles of each hookferry mode (last round, closed loop) into this directory")
	flag.Func("env", "KEY=VALUE in hookferry's environment (repeatable), e.g. GOMEMLIMIT=192MiB", func(v string) error {
		o.env = append(o.env, v)
		return nil
	})
	flag.Func("base-env", "KEY=VALUE in the base/ modes' environment (repeatable); with -base equal to -bin this compares settings", func(v string) error {
		o.baseEnv = append(o.baseEnv, v)
		return nil
	})
	flag.Parse()
	if *smoke {
		o.n, o.rounds, o.open, o.rate = 300, 1, time.Second, 100
	}
	o.modes = strings.Split(*modes, ",")
	if o.benthos != "" && !flagSet("modes") {
		o.modes = slices.Insert(o.modes, len(refModes), benthosMode)
	}
	if o.bin == "" && slices.ContainsFunc(o.modes, func(m string) bool { return !reference(m) }) {
		flag.Usage()
		os.Exit(2)
	}
	if o.profileDir != "" {
		// The server writes its profiles there as it exits: a missing
		// directory would lose them without a word.
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fail(err)
		}
	}
	var err error
	if *bodyPath == "" {
		*bodyPath = defaultBody()
	}
	if o.body, err = os.ReadFile(*bodyPath); err != nil {
		fail(err)
	}
	if o.self, err = os.Executable(); err != nil {
		fail(err)
	}
	o.out, o.errOut = os.Stdout, os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fail(err)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func defaultBody() string {
	for _, p := range []string{"testdata/corpus", "../../testdata/corpus"} {
		if _, err := os.Stat(p); err == nil {
			return filepath.Join(p, "octokit-webhooks/api.github.com/push/payload.json")
		}
	}
	return "payload.json"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// phase is one measurement of one mode in one round.
type phase struct {
	rate             float64 // open loop: the offered rate
	acked, delivered float64 // per second
	p50, p99         time.Duration
	cpuPerEvent      time.Duration
	errors           int64
	ok               int64 // acknowledged requests
	rssKiB           int64 // peak RSS of the process that ran this phase
	// kept: closed loop, delivered per acknowledged event over the last
	// three quarters of the sending (from the n/4th ack to the last),
	// counted as they happen. Unlike delivered/s after the drain it
	// leaves out the time the last events take to get through, so it
	// says whether delivery keeps pace (1) or a backlog grows (below 1).
	kept float64
}

type sample struct {
	closed, open  phase
	spansPerEvent float64 // spans the OTLP sink received per acknowledged event (telemetry variants)
	backlog       backlog // the backlog phase, when it ran
}

// run measures every mode rounds times, interleaved (the order rotates
// each round), and prints the medians and the ratios.
func run(ctx context.Context, o options) error {
	var modes []string
	for _, m := range o.modes {
		base, v := cutVariant(m)
		if m == benthosMode && o.benthos == "" {
			return errors.New("mode benthos needs -benthos PATH (a binary built in tools/bench/benthos)")
		}
		if !slices.Contains(ourModes, base) && !reference(m) || v != "" && !knownVariant(v) {
			return fmt.Errorf("unknown mode %q (have %s, %s, and MODE+%s; %s with -benthos)", m, strings.Join(refModes, ","), strings.Join(ourModes, ","), strings.Join(variants, "|"), benthosMode)
		}
		set := []string{m}
		if o.telemetry && v == "" && slices.Contains(ourModes, m) {
			for _, v := range variants {
				set = append(set, m+"+"+v)
			}
		}
		for _, m := range set {
			modes = append(modes, m)
			if o.base != "" && slices.Contains(ourModes, base) {
				modes = append(modes, "base/"+m)
			}
		}
	}
	results := map[string][]sample{}
	for r := range o.rounds {
		for i := range modes {
			m := modes[(i+r)%len(modes)]
			s, err := measure(ctx, o, m, r == o.rounds-1)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r+1, m, err)
			}
			fmt.Fprintf(o.errOut, "round %d %-20s closed %6.0f acked/s %6.0f delivered/s (kept pace %.2f) %4.0f µs CPU/event  open %5.0f/s p99 %v  spans/event %.2f\n",
				r+1, m, s.closed.acked, s.closed.delivered, s.closed.kept, float64(s.closed.cpuPerEvent)/1e3, s.open.rate, s.open.p99.Round(10*time.Microsecond), s.spansPerEvent)
			results[m] = append(results[m], s)
		}
	}
	report(o, modes, results)
	return nil
}

func report(o options, modes []string, results map[string][]sample) {
	med := map[string]sample{}
	for _, m := range modes {
		med[m] = median(results[m])
	}
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tphase\toffered/s\tacked/s\tdelivered/s\tp50 ack\tp99 ack\tCPU/event\tpeak RSS\terrors\t")
	for _, m := range modes {
		s := med[m]
		for _, p := range []struct {
			name string
			ph   phase
		}{{"closed", s.closed}, {"open", s.open}} {
			if p.name == "open" && o.open <= 0 {
				continue
			}
			offered := "-"
			if p.name == "open" {
				offered = fmt.Sprintf("%.0f", p.ph.rate)
			}
			delivered := "-"
			if m != "bare" {
				delivered = fmt.Sprintf("%.0f", p.ph.delivered)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.0f MiB\t%d\t\n", m, p.name, offered, p.ph.acked, delivered,
				ms(p.ph.p50), ms(p.ph.p99), us(p.ph.cpuPerEvent), float64(p.ph.rssKiB)/1024, p.ph.errors)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(o.out, "body %d bytes; closed loop: %d requests, %d connections; open loop: %v; %d round(s), medians; loopback\n",
		len(o.body), o.n, o.conc, o.open, o.rounds)

	fmt.Fprintln(o.out, "ratios (closed loop):")
	ratio := func(name string, a, b float64, target string) {
		if a > 0 && b > 0 {
			fmt.Fprintf(o.out, "  %-44s %6.2f  %s\n", name, a/b, target)
		}
	}
	for _, m := range modes {
		if m != "bare" {
			ratio(m+" delivered/acked", med[m].closed.delivered, med[m].closed.acked, "(target ≥ 0.90; includes the drain of the last events)")
			if k := med[m].closed.kept; k > 0 {
				fmt.Fprintf(o.out, "  %-44s %6.2f  (while sending: delivered per ack after the first quarter; 1 = keeps pace)\n", m+" kept pace", k)
			}
		}
	}
	ratio("interval-js delivered / forward delivered", med["interval-js"].closed.delivered, med["forward"].closed.delivered, "(target ≥ 1.40)")
	if v := roundRatios(results["interval-js"], results[benthosMode], func(s sample) float64 { return s.closed.delivered }); len(v) > 0 {
		fmt.Fprintf(o.out, "  %-44s %6.2f  (target ≥ 3; median of rounds %s)\n", "interval-js delivered / benthos delivered", medianOf(v), spread(v))
	}
	ratio("interval acked / bare acked", med["interval"].closed.acked, med["bare"].closed.acked, "(target ≥ 0.50)")
	ratio("always-js delivered / interval-js delivered", med["always-js"].closed.delivered, med["interval-js"].closed.delivered, "")
	// Before/after: the median of the per-round ratios (the machine's
	// speed drifts between rounds; see telemetryRatios).
	perRound := func(m string, f func(sample) float64) (float64, string, bool) {
		v := roundRatios(results[m], results["base/"+m], f)
		if len(v) == 0 {
			return 0, "", false
		}
		return medianOf(v), spread(v), true
	}
	for _, m := range modes {
		if _, ok := med["base/"+m]; !ok {
			continue
		}
		if r, sp, ok := perRound(m, func(s sample) float64 { return s.closed.delivered }); ok {
			fmt.Fprintf(o.out, "  %-44s %6.2f  (after / before; rounds %s)\n", m+" delivered / base", r, sp)
		}
		if r, sp, ok := perRound(m, func(s sample) float64 { return s.closed.delivered / s.closed.acked }); ok {
			fmt.Fprintf(o.out, "  %-44s %6.2f  (after / before; rounds %s)\n", m+" delivered/acked / base", r, sp)
		}
		if r, sp, ok := perRound(m, func(s sample) float64 { return float64(s.closed.cpuPerEvent) }); ok {
			fmt.Fprintf(o.out, "  %-44s %6.2f  (after / before; rounds %s)\n", m+" CPU per event / base", r, sp)
		}
	}
	telemetryRatios(o, modes, results)
	reportBacklog(o, modes, med, results)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

// median takes each figure's median over the rounds on its own.
func median(ss []sample) sample {
	pick := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	ph := func(get func(sample) phase) phase {
		return phase{
			rate:        pick(func(s sample) float64 { return get(s).rate }),
			acked:       pick(func(s sample) float64 { return get(s).acked }),
			delivered:   pick(func(s sample) float64 { return get(s).delivered }),
			p50:         time.Duration(pick(func(s sample) float64 { return float64(get(s).p50) })),
			p99:         time.Duration(pick(func(s sample) float64 { return float64(get(s).p99) })),
			cpuPerEvent: time.Duration(pick(func(s sample) float64 { return float64(get(s).cpuPerEvent) })),
			errors:      int64(pick(func(s sample) float64 { return float64(get(s).errors) })),
			rssKiB:      int64(pick(func(s sample) float64 { return float64(get(s).rssKiB) })),
			kept:        pick(func(s sample) float64 { return get(s).kept }),
		}
	}
	return sample{
		closed:        ph(func(s sample) phase { return s.closed }),
		open:          ph(func(s sample) phase { return s.open }),
		spansPerEvent: pick(func(s sample) float64 { return s.spansPerEvent }),
	}
}

// measure starts a destination and the server for mode and runs the
// phases: the closed loop in one server process, the open loop (and the
// backlog) in a fresh one with a fresh store, so that each phase's peak
// RSS is its own (a process that ran at saturation keeps its heap for a
// while after).
func measure(ctx context.Context, o options, mode string, last bool) (sample, error) {
	var delivered atomic.Int64
	var down atomic.Bool             // the backlog phase's outage
	var first atomic.Pointer[[]byte] // the first body delivered
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, err
	}
	dest := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		if down.Load() {
			rc.SetStatusCode(fasthttp.StatusServiceUnavailable)
			return
		}
		if first.Load() == nil {
			b := slices.Clone(rc.PostBody())
			first.CompareAndSwap(nil, &b)
		}
		delivered.Add(1)
	}, Concurrency: 4096}
	go func() { _ = dest.Serve(dln) }()
	defer dest.Shutdown()

	var otlp *otlpSink
	if _, ratio := variantSettings(variantOf(mode)); ratio >= 0 {
		if otlp, err = startOTLPSink(); err != nil {
			return sample{}, err
		}
		defer otlp.close()
	}
	counts := mode != "bare"

	var s sample
	srv, err := startServer(ctx, o, mode, dln.Addr().String(), otlp, last)
	if err != nil {
		return s, err
	}
	defer srv.stop()
	s.closed, err = closedLoop(ctx, o, srv.url, mode, srv.pid, &delivered, counts)
	if err != nil {
		return s, err
	}
	s.closed.rssKiB = peakRSS(srv.pid)
	if maps(mode) {
		b := first.Load()
		if b == nil {
			return s, errors.New("nothing delivered")
		}
		if err := mapped(o.body, *b); err != nil {
			return s, fmt.Errorf("not the JS mapping's message: %w", err)
		}
	}
	if o.open > 0 {
		srv.stop()
		if srv, err = startServer(ctx, o, mode, dln.Addr().String(), otlp, false); err != nil {
			return s, err
		}
		defer srv.stop()
		rate := o.rate
		if rate <= 0 {
			rate = s.closed.acked / 2
		}
		s.open, err = openLoop(ctx, o, srv.url, mode, rate, srv.pid, &delivered, counts)
		if err != nil {
			return s, err
		}
		s.open.rssKiB = peakRSS(srv.pid)
	}
	if o.backlog > 0 && last && counts && !reference(mode) {
		if s.backlog, err = backlogPhase(ctx, o, srv.url, mode, srv.pid, &delivered, &down); err != nil {
			return s, err
		}
	}
	if otlp != nil {
		srv.stop() // the last spans are exported at shutdown
		if n := otlp.bad.Load(); n > 0 {
			return s, fmt.Errorf("the OTLP sink refused %d exports", n)
		}
		if acked := float64(s.closed.ok + s.open.ok); acked > 0 {
			s.spansPerEvent = float64(otlp.spans.Load()) / acked
		}
	}
	return s, nil
}

// server is one running server process of a mode.
type server struct {
	pid  int
	url  string
	stop func() // interrupts it, waits for it and removes its store; idempotent
}

// startServer starts the process behind mode with a fresh store and
// waits until it listens.
func startServer(ctx context.Context, o options, mode, dest string, otlp *otlpSink, profile bool) (server, error) {
	dir, err := os.MkdirTemp("", "hookferry-bench-")
	if err != nil {
		return server{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return server{}, err
	}
	cmd, err := serverCommand(ctx, o, mode, dir, addr, dest, otlp, profile)
	if err != nil {
		os.RemoveAll(dir)
		return server{}, err
	}
	cmd.Stderr = o.errOut
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return server{}, err
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	if err := waitListening(ctx, addr); err != nil {
		stop()
		return server{}, err
	}
	return server{pid: cmd.Process.Pid, url: "http://" + addr + "/in", stop: stop}, nil
}

// maps says whether mode delivers the mapped message (forward, benthos
// and the -js modes), which measure checks against the JS mapping.
func maps(mode string) bool {
	m, _ := cutVariant(strings.TrimPrefix(mode, "base/"))
	return m == "forward" || m == benthosMode || strings.HasSuffix(m, "-js")
}

// serverCommand is the process behind mode: hookferry with a config for
// it, or this binary as a reference server.
func serverCommand(ctx context.Context, o options, mode, dir, addr, dest string, otlp *otlpSink, profile bool) (*exec.Cmd, error) {
	if mode == benthosMode {
		cfgPath := filepath.Join(dir, "benthos.yaml")
		if err := os.WriteFile(cfgPath, []byte(benthosConfig(addr, dest, cmp.Or(o.sinkConc, 64))), 0o600); err != nil {
			return nil, err
		}
		return exec.CommandContext(ctx, o.benthos, "-c", cfgPath), nil
	}
	if slices.Contains(refModes, mode) {
		cmd := exec.CommandContext(ctx, o.self)
		cmd.Env = append(os.Environ(), serveEnv+"="+mode, listenEnv+"="+addr, destEnv+"="+dest)
		return cmd, nil
	}
	bin, m, env := o.bin, mode, o.env
	if rest, ok := strings.CutPrefix(mode, "base/"); ok {
		bin, m, env = o.base, rest, o.baseEnv
	}
	m, variant := cutVariant(m)
	var tel string
	if otlp != nil {
		tel = telemetryBlock(variant, otlp.addr)
	}
	if metrics, _ := variantSettings(variant); !metrics {
		env = append(slices.Clone(env), "HOOKFERRY_DISABLE_METRICS=1")
	}
	queue := `queue { sync = "interval" }`
	transform := `transform "javascript" { code = ` + strconv.Quote(mapping) + ` }`
	switch m {
	case "interval-js":
	case "always-js":
		queue = `queue { sync = "always" }`
	case "memory-js":
		queue = `queue { backend = "memory" }`
	case "interval":
		transform = ""
	case "memory":
		queue, transform = `queue { backend = "memory" }`, ""
	}
	cfg := fmt.Sprintf(`
server {
  listen          = %q
  max_concurrency = 4096
}
%s
%s
pipeline "bench" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  %s
  sink "http" "local" {
    url         = "http://%s/"
    concurrency = %d
  }
}
`, addr, queue, tel, transform, dest, cmp.Or(o.sinkConc, 64))
	cfgPath := filepath.Join(dir, "bench.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "-c", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--log-level", "error")
	cmd.Env = append(os.Environ(), env...)
	if profile && o.profileDir != "" {
		name := strings.ReplaceAll(mode, "/", "-")
		cmd.Env = append(cmd.Env,
			"HOOKFERRY_CPUPROFILE="+filepath.Join(o.profileDir, name+".cpu.pprof"),
			"HOOKFERRY_MEMPROFILE="+filepath.Join(o.profileDir, name+".allocs.pprof"))
	}
	return cmd, nil
}

// send posts one event and says whether it was acknowledged.
func send(client *fasthttp.Client, req *fasthttp.Request, resp *fasthttp.Response, url, key string, body []byte) bool {
	req.Reset()
	req.SetRequestURI(url)
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.Header.Set("Idempotency-Key", key)
	req.SetBodyRaw(body)
	err := client.Do(req, resp)
	return err == nil && resp.StatusCode()/100 == 2
}

var keySeq atomic.Int64 // unique idempotency keys across phases

func closedLoop(ctx context.Context, o options, url, mode string, pid int, delivered *atomic.Int64, counts bool) (phase, error) {
	before, cpu0 := delivered.Load(), cpuTime(pid)
	lat := make([]time.Duration, o.n)
	var next, errs, acks atomic.Int64
	quarter := int64(o.n / 4)
	var atQuarter atomic.Int64 // delivered when the n/4th ack came
	client := &fasthttp.Client{MaxConnsPerHost: o.conc, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for range o.conc {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for {
				i := next.Add(1) - 1
				if i >= int64(o.n) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				ok := send(client, req, resp, url, "b"+strconv.FormatInt(keySeq.Add(1), 36), o.body)
				lat[i] = time.Since(t0)
				if !ok {
					errs.Add(1)
				} else if acks.Add(1) == quarter {
					atQuarter.Store(delivered.Load())
				}
			}
		})
	}
	wg.Wait()
	atEnd := delivered.Load()
	if ctx.Err() != nil {
		return phase{}, ctx.Err()
	}
	ackedIn := time.Since(start)
	okN := int64(o.n) - errs.Load()
	p := phase{acked: float64(okN) / ackedIn.Seconds(), errors: errs.Load(), ok: okN}
	if counts && okN > quarter && quarter > 0 {
		p.kept = float64(atEnd-atQuarter.Load()) / float64(okN-quarter)
	}
	p.p50, p.p99 = percentiles(lat)
	events := okN
	if counts {
		deliveredIn, err := drain(ctx, o, delivered, before+okN, start)
		if err != nil {
			return p, err
		}
		p.delivered = float64(okN) / deliveredIn.Seconds()
	}
	if events > 0 {
		p.cpuPerEvent = (cpuTime(pid) - cpu0) / time.Duration(events)
	}
	return p, nil
}

// openLoop offers rate requests/s for o.open whatever the answers, from a
// pool large enough not to be the bottleneck; latency runs from each
// request's scheduled time.
func openLoop(ctx context.Context, o options, url, mode string, rate float64, pid int, delivered *atomic.Int64, counts bool) (phase, error) {
	n := int(rate * o.open.Seconds())
	if n < 1 {
		return phase{}, nil
	}
	before, cpu0 := delivered.Load(), cpuTime(pid)
	const workers = 512
	client := &fasthttp.Client{MaxConnsPerHost: workers, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	type job struct {
		i  int
		at time.Time
	}
	jobs := make(chan job, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for j := range jobs {
				if ctx.Err() != nil {
					errs.Add(1)
					continue
				}
				if d := time.Until(j.at); d > 0 {
					time.Sleep(d)
				}
				ok := send(client, req, resp, url, "b"+strconv.FormatInt(keySeq.Add(1), 36), o.body)
				lat[j.i] = time.Since(j.at)
				if !ok {
					errs.Add(1)
				}
			}
		})
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := range n {
		jobs <- job{i: i, at: start.Add(time.Duration(i) * interval)}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return phase{}, ctx.Err()
	}
	ackedIn := time.Since(start)
	okN := int64(n) - errs.Load()
	p := phase{rate: rate, acked: float64(okN) / ackedIn.Seconds(), errors: errs.Load(), ok: okN}
	p.p50, p.p99 = percentiles(lat)
	if counts {
		deliveredIn, err := drain(ctx, o, delivered, before+okN, start)
		if err != nil {
			return p, err
		}
		p.delivered = float64(okN) / deliveredIn.Seconds()
	}
	if okN > 0 {
		p.cpuPerEvent = (cpuTime(pid) - cpu0) / time.Duration(okN)
	}
	return p, nil
}

// drain waits until the destination has counted want events and returns
// the time since start.
func drain(ctx context.Context, o options, delivered *atomic.Int64, want int64, start time.Time) (time.Duration, error) {
	deadline := time.Now().Add(o.drain)
	for delivered.Load() < want {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return 0, fmt.Errorf("the destination counted %d of %d events after %v", delivered.Load(), want, o.drain)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start), nil
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// cpuTime is the user+system time of process pid (Linux /proc; 0
// elsewhere). Clock ticks are USER_HZ, 100 on Linux.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// peakRSS is VmHWM of process pid in KiB (0 when unknown).
func peakRSS(pid int) int64 { return procStatusKiB(pid, "VmHWM:") }

// procStatusKiB is a kB field of /proc/PID/status (0 when unknown).
func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the server never listened on " + addr)
}

// variantOf is the telemetry variant of a mode name ("" for none).
func variantOf(mode string) string {
	_, v := cutVariant(strings.TrimPrefix(mode, "base/"))
	return v
}

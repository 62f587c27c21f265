package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/core"
)

// adminClient calls a running hookferry's admin API.
type adminClient struct {
	base  string
	token string // bearer token; "" sends none
	hc    *http.Client
}

// newAdminClient finds the admin API: --admin wins, else the config's
// admin.listen. The token is --token, else HOOKFERRY_ADMIN_TOKEN.
func newAdminClient(g *globalFlags, adminURL string, lookupEnv func(string) (string, bool)) (*adminClient, error) {
	configPath := g.config
	if adminURL == "" {
		if configPath == "" {
			return nil, errors.New("say where hookferry runs: -c PATH (its config's admin block) or --admin URL")
		}
		addr, err := core.AdminAddress(core.Options{ConfigPath: configPath, LookupEnv: lookupEnv})
		if err != nil {
			return nil, err
		}
		adminURL = "http://" + addr
	}
	if !strings.Contains(adminURL, "://") {
		adminURL = "http://" + adminURL
	}
	token := g.token
	if token == "" {
		token, _ = lookupEnv("HOOKFERRY_ADMIN_TOKEN")
	}
	return &adminClient{base: strings.TrimRight(adminURL, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (c *adminClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c.auth(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s", e.Error)
		}
		if out == nil || json.Unmarshal(b, out) != nil {
			return fmt.Errorf("admin API answered %d: %s", resp.StatusCode, bytes.TrimSpace(b))
		}
		return nil
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// lastReason is the reason of a record's newest attempt, shortened.
func lastReason(r core.Record) string {
	if len(r.Attempts) == 0 {
		return ""
	}
	s := r.Attempts[len(r.Attempts)-1].Reason
	if len(s) > 80 {
		s = s[:79] + "…"
	}
	return s
}

type filterFlags struct {
	state, pipeline, sink, since string
	limit                        int
}

func (f *filterFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.state, "state", "", "only deliveries in this state: delivering, retrying, succeeded or dead")
	cmd.Flags().StringVar(&f.pipeline, "pipeline", "", "only this pipeline")
	cmd.Flags().StringVar(&f.sink, "sink", "", "only this sink")
	cmd.Flags().StringVar(&f.since, "since", "", "only deliveries updated within this long, e.g. 2h")
	cmd.Flags().IntVar(&f.limit, "limit", 1000, "at most this many (the newest)")
}

func (f *filterFlags) query() string {
	v := url.Values{}
	for k, val := range map[string]string{"state": f.state, "pipeline": f.pipeline, "sink": f.sink, "since": f.since} {
		if val != "" {
			v.Set(k, val)
		}
	}
	v.Set("limit", fmt.Sprint(f.limit))
	return v.Encode()
}

func newAdminCommands(g *globalFlags, stdout io.Writer, lookupEnv func(string) (string, bool)) []*cobra.Command {
	var adminURL string
	client := func() (*adminClient, error) { return newAdminClient(g, adminURL, lookupEnv) }

	deliveries := &cobra.Command{
		Use:   "deliveries",
		Short: "Inspect deliveries of a running hookferry",
		Long: `Each (event, sink) pair is a delivery with a state and its attempts. These
commands ask a running hookferry's admin API, found from -c PATH (the
config's admin.listen) or --admin URL.`,
	}
	deliveries.PersistentFlags().StringVar(&adminURL, "admin", "", "admin API URL, e.g. http://127.0.0.1:8089 (default: from -c)")

	var lf filterFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List deliveries, one line each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var resp struct{ Deliveries []core.Record }
			if err := c.do(cmd.Context(), "GET", "/v1/deliveries?"+lf.query(), nil, &resp); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DELIVERY\tSTATE\tATTEMPTS\tEVENT\tTYPE\tUPDATED\tLAST REASON")
			for _, r := range resp.Deliveries {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.AttemptCount, r.EventID, r.EventType,
					r.Updated.Local().Format(time.DateTime), lastReason(r))
			}
			return tw.Flush()
		},
	}
	lf.add(list)

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one delivery with all its attempts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var r core.Record
			if err := c.do(cmd.Context(), "GET", "/v1/deliveries/"+url.PathEscape(args[0]), nil, &r); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "delivery  %s\nstate     %s\nevent     %s (%s)\nattempts  %d\nreplays   %d\ncreated   %s\nupdated   %s\n",
				r.ID, r.State, r.EventID, r.EventType, r.AttemptCount, r.Replays, r.Created.Local().Format(time.RFC3339), r.Updated.Local().Format(time.RFC3339))
			if !r.NextAttempt.IsZero() {
				fmt.Fprintf(stdout, "next      %s\n", r.NextAttempt.Local().Format(time.RFC3339))
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\nAT\tDURATION\tSTATUS\tOUTCOME\tREASON")
			for _, a := range r.Attempts {
				st := "-"
				if a.Status != 0 {
					st = fmt.Sprint(a.Status)
				}
				fmt.Fprintf(tw, "%s\t%.1fms\t%s\t%s\t%s\n", a.At.Local().Format("15:04:05.000"), a.Duration, st, a.Outcome, a.Reason)
			}
			return tw.Flush()
		},
	}
	pending := &cobra.Command{
		Use:   "pending",
		Short: "Show each sink's backlog: deliveries waiting, and being attempted or retried",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var resp struct{ Sinks []core.Depth }
			if err := c.do(cmd.Context(), "GET", "/v1/sinks", nil, &resp); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PIPELINE\tSINK\tPENDING\tDELIVERING OR RETRYING")
			for _, s := range resp.Sinks {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", s.Pipeline, s.Sink, s.Pending, s.InFlight)
			}
			return tw.Flush()
		},
	}
	deliveries.AddCommand(list, show, pending)

	var rf filterFlags
	replay := &cobra.Command{
		Use:   "replay [ID...]",
		Short: "Deliver stored events again through today's transforms and sinks",
		Long: `Replay sends stored events again to one sink each, through the current
transforms and sink configuration. Name deliveries by id, or select them:

  hookferry replay -c hookferry.hcl github.chat.42
  hookferry replay -c hookferry.hcl --state dead --sink chat --since 2h`,
		RunE: func(cmd *cobra.Command, args []string) error {
			byFilter := rf.state != "" || rf.pipeline != "" || rf.sink != "" || rf.since != ""
			switch {
			case len(args) == 0 && !byFilter:
				return errors.New("nothing to replay: give delivery ids (PIPELINE.SINK.SEQ, as `hookferry deliveries list` shows them) or a selection (--state, --pipeline, --sink, --since)")
			case len(args) > 0 && byFilter:
				return errors.New("give delivery ids or a selection (--state, --pipeline, --sink, --since), not both")
			}
			c, err := client()
			if err != nil {
				return err
			}
			req := map[string]any{"ids": args}
			if byFilter {
				req = map[string]any{"filter": map[string]any{"state": rf.state, "pipeline": rf.pipeline, "sink": rf.sink, "since": rf.since, "limit": rf.limit}}
			}
			var resp struct {
				Replayed []string
				Failed   map[string]string
			}
			if err := c.do(cmd.Context(), "POST", "/v1/replay", req, &resp); err != nil {
				return err
			}
			for _, id := range resp.Replayed {
				fmt.Fprintln(stdout, "replayed", id)
			}
			for id, why := range resp.Failed {
				fmt.Fprintf(stdout, "not replayed %s: %s\n", id, why)
			}
			fmt.Fprintf(stdout, "%d replayed, %d not\n", len(resp.Replayed), len(resp.Failed))
			if len(resp.Failed) > 0 {
				return errReported
			}
			return nil
		},
	}
	replay.Flags().StringVar(&adminURL, "admin", "", "admin API URL, e.g. http://127.0.0.1:8089 (default: from -c)")
	rf.add(replay)
	return []*cobra.Command{deliveries, replay}
}

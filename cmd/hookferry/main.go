package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

func main() {
	stop := startProfiling(os.LookupEnv)
	code := run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// errReported means the error was already printed (diagnostics).
var errReported = errors.New("reported")

// exitStatus ends the process with this status and prints nothing more:
// the command has said what it had to (fmt -check exits 3).
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

func run(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	root := newRoot(stdout, stderr, lookupEnv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		var st exitStatus
		if errors.As(err, &st) {
			return int(st)
		}
		if !errors.Is(err, errReported) {
			fmt.Fprintln(stderr, "Error:", err)
		}
		return 1
	}
	return 0
}

type globalFlags struct {
	config     string
	logLevel   string
	logFormat  string
	pluginDirs []string
	// token is the admin API's bearer token (--token, else
	// HOOKFERRY_ADMIN_TOKEN).
	token string
}

func newRoot(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "hookferry",
		Short: "Receive webhooks, reshape them with JavaScript, forward them",
		Long: `hookferry receives webhooks on HTTP, checks them with a source, reshapes them
with JavaScript transforms and forwards them through sinks, as pipelines
written in HCL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", "", "configuration: a .hcl file or a folder of them")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.token, "token", "", "admin API token for commands that call a running hookferry (default: $HOOKFERRY_ADMIN_TOKEN)")
	root.PersistentFlags().StringSliceVar(&g.pluginDirs, "plugin-dir", defaultPluginDirs(lookupEnv), "folders searched for hookferry-plugin-NAME binaries (also HOOKFERRY_PLUGIN_PATH, colon-separated); a plugin found there starts only when the config uses a component type of its NAME")

	opts := func() (core.Options, error) {
		if g.config == "" {
			return core.Options{}, errors.New("no configuration given; use -c PATH")
		}
		logger, err := newLogger(stderr, g.logLevel, g.logFormat)
		if err != nil {
			return core.Options{}, err
		}
		ra, _ := lookupEnv(sdkplugin.ReattachEnv)
		reattach, err := sdkplugin.ParseReattach(ra)
		if err != nil {
			return core.Options{}, err
		}
		return core.Options{
			ConfigPath: g.config,
			Components: all.Definitions(all.Options{Stdout: stdout}),
			Logger:     logger,
			LookupEnv:  lookupEnv,
			PluginDirs: g.dirs(lookupEnv),
			Reattach:   reattach,
			// A developer switch for tools/bench -telemetry (profile.go).
			DisableMetrics: metricsDisabled(lookupEnv),
		}, nil
	}

	var dataDir, listen, adminListen string
	var watch bool
	runCmd := &cobra.Command{
		Use:   "run -c PATH",
		Short: "Run the pipelines of a configuration",
		Long: `Run loads the configuration, refuses to start on any error (the same checks as
validate), then serves webhooks until SIGINT or SIGTERM. On a signal it stops
taking requests, lets deliveries in flight finish within shutdown_timeout, and
exits.

SIGHUP (or POST /v1/reload on the admin API, or --watch) reloads the
configuration without a restart: it is built in full beside the running one
and replaces it only when all of it is valid; otherwise the running one stays
and every problem is logged with file:line. Changes to the server, admin and
queue blocks need a restart. See docs/operations.md, "Reloading".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := opts()
			if err != nil {
				return err
			}
			o.DataDir, o.Listen, o.AdminListen = dataDir, listen, adminListen
			// SIGHUP reloads; taken before loading, since its default
			// action ends the process.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			e, err := core.Load(cmd.Context(), o)
			if err != nil {
				return report(stderr, err)
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			go reloadOnSignal(ctx, e, hup, o.Logger)
			if watch {
				go watchConfig(ctx, e, o.Logger)
			}
			return e.Run(ctx)
		},
	}
	runCmd.Flags().StringVar(&dataDir, "data-dir", "./data", "folder for everything the process stores")
	runCmd.Flags().StringVar(&listen, "listen", "", "listen address, overriding server.listen (e.g. 127.0.0.1:0)")
	runCmd.Flags().BoolVar(&watch, "watch", false, "reload the configuration when one of its files (or a script it names) changes")
	runCmd.Flags().StringVar(&adminListen, "admin-listen", "", "admin API address, overriding admin.listen (beyond loopback only with admin.token)")

	var validateJSON bool
	validateCmd := &cobra.Command{
		Use:   "validate -c PATH",
		Short: "Check a configuration and report every problem at once",
		Long: `Validate loads the configuration and builds every component, scripts included,
without listening or sending anything. Each problem is printed as
file:line:col with a source snippet (never the line of a secret); the exit
status is non-zero on any error. With --json it prints one JSON object for CI
instead: valid, error_count, warning_count and diagnostics (severity, summary,
detail, file, line, column), without snippets.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := opts()
			if err != nil {
				return err
			}
			s, err := core.Validate(cmd.Context(), o)
			if validateJSON {
				if werr := core.WriteValidationJSON(stdout, s, err); werr != nil {
					return werr
				}
				if err != nil {
					return errReported
				}
				return nil
			}
			if err != nil {
				return report(stderr, err)
			}
			fmt.Fprintf(stdout, "%s: valid (%s, %s; paths: %s)\n", g.config,
				plural(s.Pipelines, "pipeline"), plural(s.Sinks, "sink"), strings.Join(s.Paths, ", "))
			return nil
		},
	}

	validateCmd.Flags().BoolVar(&validateJSON, "json", false, "print the diagnostics as JSON (for CI)")

	root.AddCommand(runCmd, validateCmd, newVersionCommand(stdout), newFmtCommand(stdout, stderr))
	root.AddCommand(newAdminCommands(g, stdout, lookupEnv)...)
	root.AddCommand(newPluginsCommand(g, stdout, stderr, lookupEnv))
	root.AddCommand(newTestCommand(g, stdout, stderr, lookupEnv), newTypesCommand(stdout), newTapCommand(g, stdout, stderr, lookupEnv))
	return root
}

// defaultPluginDirs is $XDG_DATA_HOME/hookferry/plugins, else
// $HOME/.local/share/hookferry/plugins: never the working directory, where
// a binary that happens to sit would be run.
func defaultPluginDirs(lookupEnv func(string) (string, bool)) []string {
	if d, ok := lookupEnv("XDG_DATA_HOME"); ok && filepath.IsAbs(d) {
		return []string{filepath.Join(d, "hookferry", "plugins")}
	}
	if h, ok := lookupEnv("HOME"); ok && filepath.IsAbs(h) {
		return []string{filepath.Join(h, ".local", "share", "hookferry", "plugins")}
	}
	return nil
}

// dirs are the plugin directories: --plugin-dir, then HOOKFERRY_PLUGIN_PATH.
func (g *globalFlags) dirs(lookupEnv func(string) (string, bool)) []string {
	dirs := append([]string(nil), g.pluginDirs...)
	if v, ok := lookupEnv("HOOKFERRY_PLUGIN_PATH"); ok {
		for _, d := range strings.Split(v, ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// report prints configuration diagnostics; other errors are returned for
// the caller to print.
func report(w io.Writer, err error) error {
	var ce *core.ConfigError
	if errors.As(err, &ce) {
		_ = ce.Write(w, false)
		fmt.Fprintf(w, "%s found in the configuration\n", plural(ce.Count(), "error"))
		return errReported
	}
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

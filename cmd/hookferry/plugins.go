package main

import (
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
	"github.com/hookferry/hookferry/sdk"
)

func newPluginsCommand(g *globalFlags, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Inspect built-in components and plugin binaries"}
	describe := &cobra.Command{
		Use:   "describe PATH",
		Short: "Run a plugin binary and print what it provides",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			desc, err := core.DescribePlugin(cmd.Context(), args[0], slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "plugin %s %s (sdk %s, protocol %d)\n", desc.Name, desc.Version, desc.SDKVersion, desc.ProtocolVersion)
			for _, d := range desc.Components {
				printComponent(stdout, d)
			}
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List built-in components and the plugins found (with -c, also those the config declares)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tTYPE\tFROM\tVERSION")
			for _, d := range all.Definitions(all.Options{}) {
				fmt.Fprintf(tw, "%s\t%s\tbuilt-in\t%s\n", d.Kind, d.Name, version)
			}
			plugins, err := core.ListPlugins(cmd.Context(), core.Options{ConfigPath: g.config, PluginDirs: g.dirs(lookupEnv), LookupEnv: lookupEnv,
				Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				return report(stderr, err)
			}
			for _, p := range plugins {
				for _, d := range p.Components {
					fmt.Fprintf(tw, "%s\t%s\tplugin %s\t%s\n", d.Kind, d.Name, p.Name, p.Version)
				}
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(describe, list)
	return cmd
}

func printComponent(w io.Writer, d sdk.Definition) {
	fmt.Fprintf(w, "\n%s %q: %s\n\n%s", d.Kind, d.Name, d.Description, d.Schema.Doc())
}

package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/hookferry/hookferry/core"
)

// reloadOnSignal reloads the configuration on every SIGHUP (hup) until
// ctx ends. The engine logs the outcome and every diagnostic.
func reloadOnSignal(ctx context.Context, e *core.Engine, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			if r := e.Reload(ctx); !r.OK && r.Error == core.ErrNotRunning.Error() {
				log.Warn("SIGHUP ignored: not serving yet, or shutting down")
			}
		}
	}
}

// watchSettle lets a burst of writes (an editor's save) end before a
// reload.
const watchSettle = 200 * time.Millisecond

// watchConfig reloads the configuration whenever one of its files (.hcl
// files in its folders, and the scripts its components name) changes,
// until ctx ends. Folders are watched, not files, so that editors that
// save by renaming a new file into place are seen.
func watchConfig(ctx context.Context, e *core.Engine, log *slog.Logger) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Error("--watch: cannot watch files; reload with SIGHUP instead", "error", err)
		return
	}
	defer w.Close()
	var dirs, files []string
	refresh := func() {
		nd, nf := e.WatchFiles()
		for _, d := range dirs {
			if !slices.Contains(nd, d) {
				_ = w.Remove(d)
			}
		}
		for _, d := range nd {
			if !slices.Contains(dirs, d) {
				if err := w.Add(d); err != nil {
					log.Warn("--watch: cannot watch a folder", "dir", d, "error", err)
				}
			}
		}
		dirs, files = nd, nf
	}
	refresh()
	log.Info("--watch: reloading when the configuration changes", "folders", len(dirs), "files", len(files))
	relevant := func(name string) bool {
		name = filepath.Clean(name)
		return slices.Contains(files, name) || (strings.HasSuffix(name, ".hcl") && slices.Contains(dirs, filepath.Dir(name)))
	}
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-w.Errors:
			log.Warn("--watch", "error", err)
		case ev := <-w.Events:
			if relevant(ev.Name) && !ev.Has(fsnotify.Chmod) {
				settle = time.After(watchSettle)
			}
		case <-settle:
			settle = nil
			log.Info("--watch: the configuration changed; reloading")
			e.Reload(ctx)
			refresh()
		}
	}
}

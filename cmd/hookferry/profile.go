package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
)

// startProfiling is for developers measuring the binary under load
// (tools/bench -profile): HOOKFERRY_CPUPROFILE and HOOKFERRY_MEMPROFILE
// name files that receive a CPU profile of the whole run and an
// allocation profile at exit. Unset (the normal case), it does nothing.
func startProfiling(lookupEnv func(string) (string, bool)) (stop func()) {
	var stops []func()
	if path, ok := lookupEnv("HOOKFERRY_CPUPROFILE"); ok && path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); _ = f.Close() })
		} else {
			fmt.Fprintln(os.Stderr, "cpu profile:", err)
		}
	}
	if path, ok := lookupEnv("HOOKFERRY_MEMPROFILE"); ok && path != "" {
		stops = append(stops, func() {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "allocation profile:", err)
				return
			}
			runtime.GC()
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			_ = f.Close()
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// metricsDisabled is the other developer switch: HOOKFERRY_DISABLE_METRICS=1
// builds no metrics and serves no /metrics (core.Options.DisableMetrics),
// so that tools/bench -telemetry can measure what metrics cost against
// a binary with them off. Not a configuration setting: operators keep
// metrics (they cost within the noise, docs/operations.md).
func metricsDisabled(lookupEnv func(string) (string, bool)) bool {
	v, _ := lookupEnv("HOOKFERRY_DISABLE_METRICS")
	return v == "1" || strings.EqualFold(v, "true")
}

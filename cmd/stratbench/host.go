package main

import (
	"context"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/stratbench/stratbench/metrics"
)

// gatherHost describes the machine and the code for the records
// (metrics.SetHost): the CPU model from /proc/cpuinfo, and the commit from
// $STRATBENCH_COMMIT, else what the build recorded, else (builds with
// -buildvcs=false, go run) the git checkout the command runs in, if any.
func gatherHost() metrics.Host {
	return metrics.Host{CPU: cpuModel(), Commit: commit()}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func commit() string {
	if c := os.Getenv("STRATBENCH_COMMIT"); c != "" {
		return c
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

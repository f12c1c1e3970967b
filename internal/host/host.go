// Package host describes the machine and the code a command runs on, for
// the records (metrics.SetHost): what metrics must not find out itself.
package host

import (
	"context"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/stratbench/stratbench/metrics"
)

// Gather describes the machine and the code: the CPU model from
// /proc/cpuinfo, and the commit from $STRATBENCH_COMMIT, else what the
// build recorded, else (builds with -buildvcs=false, go run) the git
// checkout the command runs in, if any.
func Gather() metrics.Host {
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

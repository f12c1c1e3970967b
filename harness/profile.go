package harness

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
)

// StartProfiles starts a CPU profile written to cpuPath and arranges for a
// heap profile (allocation sites since the start of the process, as
// `go tool pprof -sample_index=alloc_space` reads them) to be written to
// memPath; either path may be empty. The returned stop ends the CPU
// profile and writes both files atomically; call it once, also after an
// interruption, so that the profiles of what ran are kept.
//
// CPU samples taken while RunBatch or RunService run carry the labels
// strategy and workload, so that `go tool pprof -tagfocus strategy=pool`
// shows one strategy alone.
func StartProfiles(cpuPath, memPath string) (stop func() error, err error) {
	var cpu *fsutil.File
	if cpuPath != "" {
		if cpu, err = fsutil.Create(cpuPath); err != nil {
			return nil, bad.Field("cpuprofile", ": %v", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Abort()
			return nil, bad.Field("cpuprofile", ": %v", err)
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Commit())
		}
		if memPath != "" {
			f, err := fsutil.Create(memPath)
			if err != nil {
				return errors.Join(append(errs, fmt.Errorf("memory profile: %w", err))...)
			}
			runtime.GC() // up-to-date statistics
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				f.Abort()
				errs = append(errs, fmt.Errorf("memory profile: %w", err))
			} else {
				errs = append(errs, f.Commit())
			}
		}
		return errors.Join(errs...)
	}, nil
}

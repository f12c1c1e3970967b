package harness

import (
	"slices"
	"strings"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/strategies"
)

// ParseStrategies turns lists of executor and schedule names into the
// strategies of a batch run, checking every name against the catalogs. The
// queues executor appears once per policy (rr when none is given); batch
// is the batch executor's hand-over size and chunk the schedules' chunk (0:
// their defaults). With no executor and no schedule it returns every
// executor. Unknown names are bad input whose message lists the known ones.
func ParseStrategies(executors, schedules, policies []string, batch, chunk int) ([]Strategy, error) {
	if batch < 0 {
		return nil, bad.Inputf("batch must be >= 0, got %d", batch)
	}
	if chunk < 0 {
		return nil, bad.Inputf("chunk must be >= 0, got %d", chunk)
	}
	if len(executors) == 0 && len(schedules) == 0 {
		executors = strategies.ExecutorNames()
	}
	if len(policies) == 0 {
		policies = []string{"rr"}
	}
	var out []Strategy
	for _, e := range executors {
		if !slices.Contains(strategies.ExecutorNames(), e) {
			return nil, bad.Inputf("unknown executor %q (known: %s)", e, strings.Join(strategies.ExecutorNames(), ", "))
		}
		if e != "queues" {
			out = append(out, Strategy{Kind: KindExecutor, Name: e, Batch: batch})
			continue
		}
		for _, p := range policies {
			if err := strategies.ValidatePolicy(p); err != nil {
				return nil, bad.Input(err)
			}
			out = append(out, Strategy{Kind: KindExecutor, Name: e, Policy: p})
		}
	}
	for _, s := range schedules {
		if !slices.Contains(strategies.ScheduleNames(), s) {
			return nil, bad.Inputf("unknown schedule %q (known: %s)", s, strings.Join(strategies.ScheduleNames(), ", "))
		}
		out = append(out, Strategy{Kind: KindSchedule, Name: s, Chunk: chunk})
	}
	return out, nil
}

// ValidateService reports the first problem of cfg (marked as bad input),
// or nil: what RunService would refuse, without running anything.
func ValidateService(cfg ServiceConfig) error { return cfg.Validate() }

package harness

import (
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// XMLRecord is the result record (engine harness, family XML) of an XML
// kernel run by xmark.Run on workers goroutines through executor.
func XMLRecord(rep *xmark.Report, workers int, executor string) metrics.Result {
	params := map[string]any{
		"kernel": rep.Kernel, "workers": workers, "mode": rep.Mode,
		"files": rep.Files, "bytes": rep.Bytes,
	}
	kv := []any{"kernel", rep.Kernel, "workers", workers}
	if workers > 1 {
		params["executor"] = executor
		kv = append(kv, "executor", executor)
	}
	if rep.Mode == xmark.ModeChunks {
		params["chunks"] = rep.Chunks
		params["reruns"] = rep.Reruns
	}
	return metrics.Result{
		Engine: metrics.EngineHarness,
		Family: "XML",
		Name:   metrics.Name(kv...),
		Params: params,
		Metrics: map[string]float64{
			"mb_per_sec": rep.MBPerSec(),
			"wall_sec":   rep.Wall.Seconds(),
		},
		Answers: rep.Answers.Map(),
		Env:     metrics.CurrentEnv(0),
	}
}

package runs

import (
	"context"
	"errors"
	"io/fs"
	"runtime"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// XML is the xml run command: XMark's queries answered by one kernel over
// documents (xmark.Run).
type XML struct {
	Kernel string
	// Workers is the parallelism (0: GOMAXPROCS); Executor runs the
	// chunks or documents when it is > 1.
	Workers  int
	Executor string
	// Chunks is the number of spans of a single document (0: 4 ×
	// workers).
	Chunks int
	// Files are the documents ("-": Env.Stdin).
	Files []string
	Output
}

// XMLFields are the settings of XML but its files (the flags of
// `stratbench xml run`).
func XMLFields() []field.Field[XML] {
	fs := []field.Field[XML]{
		{Name: "kernel", Kind: field.String, Default: "fast", Usage: "XML kernel: unmarshal, decode, token, rawtoken or fast",
			Set: func(x *XML, v string) error {
				if _, err := xmark.Lookup(v); err != nil {
					return bad.Field("kernel", ": %v", err)
				}
				x.Kernel = v
				return nil
			}},
		field.Count("workers", "parallelism (0: GOMAXPROCS, every core)", "1", 0, func(x *XML) *int { return &x.Workers }),
		field.Text("executor", "executor of the chunks or documents when --workers > 1 (stratbench list executors)", "pool", func(x *XML) *string { return &x.Executor }),
		field.Count("chunks", "spans of a single document", "", 0, func(x *XML) *int { return &x.Chunks }),
	}
	fs[3].DefaultText = "4 × workers"
	return append(fs, field.WithHelp(outputFields(func(x *XML) *Output { return &x.Output }),
		"format", "output format: text, json (a result record) or bench (Go benchmark format)")...)
}

// Run answers the queries and writes the record. A document that is
// missing or malformed is bad input.
func (x *XML) Run(ctx context.Context, env Env) error {
	workers := x.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cfg := xmark.RunConfig{Kernel: x.Kernel, Workers: workers, Chunks: x.Chunks}
	stdin := 0
	for _, p := range x.Files {
		if p == "-" {
			stdin++
		}
		cfg.Inputs = append(cfg.Inputs, xmark.FileInput(p, env.Stdin))
	}
	if stdin > 1 {
		return bad.Inputf("- (stdin) can be read only once")
	}
	if workers > 1 {
		ex, err := strategies.NewExecutor(x.Executor, strategies.ExecutorConfig{Workers: workers})
		if err != nil {
			return bad.Field("executor", ": %v", err)
		}
		cfg.Executor = ex
	}
	return execute(ctx, []kase{{"xml run", func(ctx context.Context, _ func(done, total uint64)) ([]metrics.Result, error) {
		rep, err := xmark.Run(ctx, cfg)
		if err != nil {
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
				return nil, bad.Input(err)
			}
			return nil, err
		}
		return []metrics.Result{harness.XMLRecord(rep, workers, x.Executor)}, nil
	}}}, x.Output, env)
}

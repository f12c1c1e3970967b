package runs

import (
	"context"
	"errors"
	"io/fs"
	"runtime"

	"github.com/stratbench/stratbench/harness"
	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
	"github.com/stratbench/stratbench/internal/fsutil"
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

// XMLGen is the xml gen command: one XMark-like document (Shape "doc", to
// Out or Env.Stdout), or Count small ones (Shape "docs", into the
// directory Out).
type XMLGen struct {
	Gen   xmark.GenConfig
	Out   string
	Shape string
	Count int
}

// XMLGenFields are the settings of XMLGen (the flags of `stratbench xml
// gen`).
func XMLGenFields() []field.Field[XMLGen] {
	out := field.Text("out", "output file (default stdout); with --shape docs, a directory", "", func(g *XMLGen) *string { return &g.Out })
	out.Aliases = []string{"o"}
	return []field.Field[XMLGen]{
		field.Number("scale", "scale factor: record counts are XMark's times this", "1", func(g *XMLGen) *float64 { return &g.Gen.Scale }),
		field.Big("seed", "seed: the same seed and scale give the same bytes", "1", func(g *XMLGen) *uint64 { return &g.Gen.Seed }),
		out,
		field.Text("shape", "doc (one document) or docs (many small documents)", "doc", func(g *XMLGen) *string { return &g.Shape }),
		field.Count("count", "number of documents of --shape docs", "100", 0, func(g *XMLGen) *int { return &g.Count }),
		field.Flag("traps", "plant record start tags inside comments and CDATA sections (they change no answer; they test the splitter)", func(g *XMLGen) *bool { return &g.Gen.Traps }),
	}
}

// Run writes the document or documents and returns the bytes written.
func (g *XMLGen) Run(ctx context.Context, env Env) (int64, error) {
	if !(g.Gen.Scale >= 0 && g.Gen.Scale <= 1000) {
		return 0, bad.Field("scale", "must be in [0, 1000], got %g", g.Gen.Scale)
	}
	toFile := g.Out != "" && g.Out != "-"
	switch {
	case g.Shape == "docs" && !toFile:
		return 0, bad.Field("shape", "docs writes files: give a directory with {out} DIR")
	case g.Shape == "docs":
		return xmark.WriteDocs(ctx, g.Out, g.Gen, g.Count)
	case g.Shape != "doc":
		return 0, bad.Field("shape", ": want doc or docs, got %q", g.Shape)
	case !toFile:
		return xmark.GenerateContext(ctx, env.Stdout, g.Gen)
	}
	f, err := fsutil.Create(g.Out)
	if err != nil {
		return 0, err
	}
	defer f.Abort()
	n, err := xmark.GenerateContext(ctx, f, g.Gen)
	if err != nil {
		return n, err
	}
	return n, f.Commit()
}

package xmark

import (
	"testing"

	"github.com/stratbench/stratbench/workloads"
)

// TestBatches: every XML workload runs each task once and its joined
// answers pass the check, round after round.
func TestBatches(t *testing.T) {
	for _, k := range Kernels() {
		for _, name := range []string{"xml:" + k.Name, "xmldocs:" + k.Name} {
			b, err := workloads.NewBatch(name, workloads.BatchConfig{Tasks: 5, Seed: 2,
				Args: argsFor(name)})
			if err != nil {
				t.Fatal(err)
			}
			for round := 0; round < 2; round++ {
				b.Reset()
				pool(2).Run(b.Len(), func(_, i int) { b.Run(i) })
				if err := b.Check(); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			if amount, unit := b.Work(); amount <= 0 || unit != "bytes" {
				t.Errorf("%s: work %v %s", name, amount, unit)
			}
		}
	}
	if _, err := workloads.NewBatch("xml:fast", workloads.BatchConfig{Tasks: 1, Args: map[string]string{"scale": "-1"}}); err == nil {
		t.Error("a negative scale was accepted")
	}
	if _, err := workloads.NewBatch("xmldocs:fast", workloads.BatchConfig{Tasks: 1, Args: map[string]string{"scale": "1"}}); err == nil {
		t.Error("xmldocs accepted a scale")
	}
}

func argsFor(name string) map[string]string {
	if name[:4] == "xml:" {
		return map[string]string{"scale": "0.001", "traps": "true"}
	}
	return nil
}

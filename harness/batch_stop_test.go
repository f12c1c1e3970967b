package harness

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stratbench/stratbench/workloads"
)

// TestRunBatchStopsLongTasks: Ctrl-C reaches a task in the middle of a
// minute of work, for every workload whose tasks are calibrated in time
// (run batch with 60 s tasks ignored three Ctrl-Cs for 105 s).
func TestRunBatchStopsLongTasks(t *testing.T) {
	for _, tt := range []struct{ workload, args string }{
		{"spin", ""},
		{"mem", "buffer=64KB"},
		{"mix", "buffer=64KB"},
	} {
		t.Run(tt.workload, func(t *testing.T) {
			args := map[string]string{}
			if tt.args != "" {
				k, v, _ := cutKV(tt.args)
				args[k] = v
			}
			size, _ := workloads.ParseSize("det")
			cfg, err := BatchSpec{Workload: tt.workload, Tasks: 2, Size: size, Unit: 60 * time.Second, Args: args,
				Executors: []string{"pool"}, Workers: []int{2}, Count: 1, Seed: 1}.Config()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			_, err = RunBatch(ctx, cfg)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the context's", err)
			}
			if el := time.Since(t0); el > 1300*time.Millisecond {
				t.Errorf("stopped %v after the start, 300ms after it was asked", el)
			}
		})
	}
}

func cutKV(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

package suite

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
)

// command sets a Command from its fields given as name, value pairs.
func command(t *testing.T, kv ...string) (*Command, error) {
	t.Helper()
	var c Command
	err := field.Apply(Fields(), &c, func(name string) (string, bool) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1], true
			}
		}
		return "", false
	})
	return &c, err
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string // in stdout, or the error
		err  bool
	}{
		// The modes that run nothing.
		{[]string{"check", "true", "quick", "true"}, "default: ", false},
		{[]string{"list", "true", "quick", "true", "shard", "1/3"}, "/", false},
		{[]string{"emit", "slurm", "shards", "2", "quick", "true", "out", "sweep"}, "sbatch", false},
		{[]string{"print_default", "true"}, "cases:", false},
		// Emitting and running do not mix, naming the fields.
		{[]string{"shards", "2", "list", "true"}, "shards goes with emit slurm|k8s, which prints the sweep as a batch job; without emit it would be ignored", true},
		{[]string{"emit", "slurm", "shards", "2", "resume", "true"}, "emit prints a job script and runs nothing: resume does not go with it (each task gets its own shard and resume)", true},
		{[]string{"emit", "slurm", "shards", "2", "bin", ""}, "bin: give the path of the stratbench binary the jobs run", true},
		{[]string{"shard", "2/2"}, `shard: want i/n with 0 <= i < n (as 0/4), got "2/2"`, true},
	} {
		var out bytes.Buffer
		c, err := command(t, tc.kv...)
		if err == nil {
			err = c.Run(context.Background(), &out)
		}
		var fe *bad.FieldError
		switch {
		case tc.err && (err == nil || err.Error() != tc.want || !errors.As(err, &fe)):
			t.Errorf("%v: error %v, want the field error %q", tc.kv, err, tc.want)
		case !tc.err && (err != nil || !strings.Contains(out.String(), tc.want)):
			t.Errorf("%v: %v, output %.200q lacks %q", tc.kv, err, out.String(), tc.want)
		}
	}
}

package interleave

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
)

// TestComparisonModes: the fields given choose the mode, and the fields of
// one mode are refused in the other, naming them.
func TestComparisonModes(t *testing.T) {
	gobench := filepath.Join("..", "reports", "testdata", "gobench.txt")
	for _, tc := range []struct {
		name  string
		kv    []string
		files []string
		want  string // the field error, or a substring of stdout
	}{
		{"two files", nil, []string{gobench, gobench}, "~"},
		{"alpha", []string{"alpha", "1"}, []string{gobench, gobench}, "alpha must be in (0, 1), got 1"},
		{"percentage", []string{"fail_on_regression", "five"}, nil, `fail_on_regression: want a percentage such as 5%, got "five"`},
		{"one command", []string{"old_cmd", "true"}, nil, "old_cmd needs new_cmd: interleaved rounds measure both builds"},
		{"files and commands", []string{"old_cmd", "true", "new_cmd", "true"}, []string{gobench}, `compare takes result files or old_cmd and new_cmd, not both; got "` + gobench + `"`},
		{"rounds of files", []string{"round_stat", "best"}, []string{gobench, gobench}, "round_stat is for interleaved rounds: give old_cmd and new_cmd"},
		{"one file", nil, []string{gobench}, "compare takes two result files, OLD and NEW, or old_cmd and new_cmd; got 1 arguments"},
	} {
		c := Comparison{Files: tc.files}
		kv := tc.kv
		err := field.Apply(ComparisonFields(), &c, func(name string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1], true
				}
			}
			return "", false
		})
		var out bytes.Buffer
		if err == nil {
			err = c.Run(context.Background(), nil, &out, &bytes.Buffer{})
		}
		var fe *bad.FieldError
		switch {
		case err == nil && !strings.Contains(out.String(), tc.want):
			t.Errorf("%s: output lacks %q:\n%s", tc.name, tc.want, out.String())
		case err != nil && (err.Error() != tc.want || !errors.As(err, &fe)):
			t.Errorf("%s: error %v, want the field error %q", tc.name, err, tc.want)
		}
	}
}

package metrics

import (
	"strings"
	"testing"
)

// TestOverloadWarning checks the per-server stability rule shared by the
// simulator and the harness.
func TestOverloadWarning(t *testing.T) {
	for _, tc := range []struct {
		name             string
		load             float64
		dispatched, busy []float64
		speeds           []float64
		want             string // "" for no warning
	}{
		{"even split", 0.9, []float64{100, 100, 100}, []float64{0.9, 0.9, 0.9}, []float64{1, 1, 1}, ""},
		{"rr ignores speeds", 0.8, []float64{100, 100, 100}, []float64{0.53, 1, 1}, []float64{2, 1, 1}, "2 servers (1, 2) more work than they can serve (up to 107% of capacity)"},
		{"overloaded but not busy: noise", 0.8, []float64{100, 100, 100}, []float64{0.5, 0.9, 0.9}, []float64{2, 1, 1}, ""},
		{"one hot server", 0.9, []float64{150, 75, 75}, nil, []float64{1, 1, 1}, "server 0 more work"},
		{"total load >= 1 is said elsewhere", 1.2, []float64{100, 100}, nil, []float64{1, 1}, ""},
		{"nothing dispatched", 0.5, []float64{0, 0}, nil, []float64{1, 1}, ""},
	} {
		got := OverloadWarning("p", tc.load, tc.dispatched, tc.busy, tc.speeds)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

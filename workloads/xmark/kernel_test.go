package xmark

import (
	"bytes"
	"fmt"
	"testing"
	"testing/iotest"
)

// TestKernelsAgree: on generated documents every kernel, streaming or from
// memory, gives the reference's answers.
func TestKernelsAgree(t *testing.T) {
	cases := []struct {
		scale float64
		seed  uint64
		traps bool
	}{
		{0.0005, 1, false}, // about 50 KB: one record of most kinds
		{0.001, 2, false},  // about 100 KB
		{0.001, 3, true},   // with tag-like text in comments and CDATA
	}
	for _, tc := range cases {
		doc := genDoc(t, tc.scale, tc.seed, tc.traps)
		want, err := reference(doc)
		if err != nil {
			t.Fatalf("scale %g seed %d: reference rejects the generated document: %v", tc.scale, tc.seed, err)
		}
		if want.Q6 != int64(CountsFor(tc.scale).Items) || !want.Q1Found {
			t.Fatalf("scale %g: reference answers %v do not match the generator's counts %+v", tc.scale, want, CountsFor(tc.scale))
		}
		for _, k := range Kernels() {
			name := fmt.Sprintf("scale=%g/seed=%d/traps=%v/kernel=%s", tc.scale, tc.seed, tc.traps, k.Name)
			got, err := k.RunBytes("doc", doc)
			if err != nil || got != want {
				t.Errorf("%s: RunBytes = %v, %v; want %v", name, got, err, want)
			}
			// A reader that returns one byte at a time exercises every
			// buffer boundary of the streaming kernels.
			r := iotest.HalfReader(bytes.NewReader(doc))
			got, err = k.Run("doc", r)
			if err != nil || got != want {
				t.Errorf("%s: Run = %v, %v; want %v", name, got, err, want)
			}
		}
	}
}

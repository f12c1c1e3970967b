package reports

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestInOrder checks that inOrder gives what a plain loop gives, in the
// same order, on one core and on several, and stops at emit's first error.
func TestInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		for range 50 {
			n, window := rng.IntN(300), 1+rng.IntN(40)
			seed := rng.Uint64()
			f := func(i int) uint64 { return uint64(i)*0x9e3779b97f4a7c15 ^ seed }
			var got []uint64
			err := inOrder(n, window, f, func(i int, v uint64) error {
				if i != len(got) {
					t.Fatalf("procs %d n %d window %d: emitted %d after %d values", procs, n, window, i, len(got))
				}
				got = append(got, v)
				return nil
			})
			if err != nil || len(got) != n {
				t.Fatalf("procs %d n %d window %d: %d values, error %v", procs, n, window, len(got), err)
			}
			for i, v := range got {
				if v != f(i) {
					t.Fatalf("procs %d n %d window %d: value %d is %d, want %d", procs, n, window, i, v, f(i))
				}
			}
			if n == 0 {
				continue
			}
			stop, errStop := rng.IntN(n), errors.New("stop")
			emitted := 0
			err = inOrder(n, window, f, func(i int, v uint64) error {
				emitted++
				if i == stop {
					return errStop
				}
				return nil
			})
			if err != errStop || emitted != stop+1 {
				t.Fatalf("procs %d n %d window %d: stopping at %d emitted %d values and returned %v", procs, n, window, stop, emitted, err)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

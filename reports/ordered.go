package reports

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// inOrder computes f(i) for every i in [0, n) on every core, a window of
// them at a time, and passes the values to emit in order of i on the
// calling goroutine; it stops at emit's first error and returns it. At
// most a window of values is held at once; f must be safe to call
// concurrently.
func inOrder[T any](n, window int, f func(i int) T, emit func(i int, v T) error) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || n < 2*workers {
		for i := range n {
			if err := emit(i, f(i)); err != nil {
				return err
			}
		}
		return nil
	}
	window = max(window, workers)
	vals := make([]T, min(window, n))
	for lo := 0; lo < n; lo += window {
		part := vals[:min(window, n-lo)]
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(workers, len(part)) {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(part) {
						return
					}
					part[i] = f(lo + i)
				}
			})
		}
		wg.Wait()
		for i := range part {
			err := emit(lo+i, part[i])
			var zero T
			part[i] = zero
			if err != nil {
				return err
			}
		}
	}
	return nil
}

//go:build !linux

package cluster

import (
	"sync"
	"time"
)

// deadlineTimer wakes goroutines at absolute deadlines; outside Linux with
// the runtime's timers (a millisecond late at worst).
type deadlineTimer struct {
	lead lead
	mu   sync.Mutex
}

func newDeadlineTimer() *deadlineTimer { return &deadlineTimer{} }

func (t *deadlineTimer) add(at int64, ch chan struct{}) {
	time.AfterFunc(time.Duration(at-monoNow()), func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
}

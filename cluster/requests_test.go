package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/cluster/loadgen"
	"github.com/stratbench/stratbench/scenario"
)

// TestRequestLog pins the per-request CSV: a success with every figure, a
// late figure below zero, a failure with none, a worker address that
// needs quoting.
func TestRequestLog(t *testing.T) {
	var b strings.Builder
	l := NewRequestLog(&b)
	c := &Config{Scenario: scenario.Scenario{Policy: "jsq", Servers: 2, Load: 0.5}, Via: "ours"}
	add := l.For(c)
	add(&loadgen.Request{ID: 0, Size: 0.25, Intended: 1500 * time.Microsecond, Sent: 1512345 * time.Nanosecond,
		Arrive: 1600 * time.Microsecond, ArriveKnown: true, Wait: 0, Service: 250 * time.Microsecond, Late: 12 * time.Microsecond, LateKnown: true,
		Done: 1950 * time.Microsecond, Worker: "127.0.0.1:9000", OK: true, Measured: true})
	add(&loadgen.Request{ID: 1, Size: 2, Intended: 2 * time.Millisecond, Sent: 2 * time.Millisecond,
		Arrive: 2100 * time.Microsecond, ArriveKnown: true, Wait: 100 * time.Microsecond, Service: 2 * time.Millisecond, Late: -3500 * time.Nanosecond, LateKnown: true,
		Done: 4300 * time.Microsecond, Worker: `we"ird,addr`, OK: true})
	add(&loadgen.Request{ID: 2, Size: 1, Intended: 3 * time.Millisecond, Sent: 3100 * time.Microsecond, Done: 3200 * time.Microsecond, Wait: -1, Service: -1})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	golden(t, "requests.csv", b.String())
}

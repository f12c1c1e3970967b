package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// OverloadWarning says which servers a dispatch policy gave more work than
// they can serve, or returns "". A server's offered load is its share of
// the jobs (dispatched) times the cluster's offered load over its share of
// the capacity (speeds); at or over 1, with the server busy nearly all the
// time (busy, a fraction per server; nil when unknown), its queue grows
// without bound whatever the run length. A static policy (hash, rr
// ignoring speeds) can do this below a total load of 1. Systems whose
// total load is at or over 1 are unstable anyway and get "" here.
func OverloadWarning(policy string, load float64, dispatched, busy, speeds []float64) string {
	var total, capacity float64
	for i, d := range dispatched {
		total += d
		capacity += speeds[i]
	}
	if total == 0 || load >= 1 {
		return ""
	}
	var over []string
	worst := 0.0
	for s, d := range dispatched {
		rho := d / total * load * capacity / speeds[s]
		if rho >= 1 && (busy == nil || busy[s] >= 0.98) {
			over = append(over, strconv.Itoa(s))
			worst = max(worst, rho)
		}
	}
	if len(over) == 0 {
		return ""
	}
	which, they, their := "server "+over[0], "it", "its queue"
	if len(over) > 1 {
		they, their = "they", "their queues"
		which = fmt.Sprintf("%d servers (%s", len(over), strings.Join(over[:min(len(over), 5)], ", "))
		if len(over) > 5 {
			which += ", ..."
		}
		which += ")"
	}
	return fmt.Sprintf("unstable: policy %s gives %s more work than %s can serve (up to %.0f%% of capacity); %s, and the response figures, grow with the run length, so these figures describe this run only", policy, which, they, 100*worst, their)
}

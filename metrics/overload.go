package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// overloadZ is the one-sided normal quantile at 5% over n tests.
func overloadZ(n int) float64 {
	return distuv.UnitNormal.Quantile(1 - 0.05/float64(max(n, 1)))
}

// OverloadWarning says which servers a dispatch policy gave more work than
// they can serve, or returns "". A server's offered load is its share of
// the jobs (dispatched) times the cluster's offered load over its share of
// the capacity (speeds); at or over 1, with the server busy nearly all the
// time (busy, a fraction per server; nil when unknown), its queue grows
// without bound whatever the run length. A static policy (hash, rr
// ignoring speeds) can do this below a total load of 1. Systems whose
// total load is at or over 1 are unstable anyway and get "" here.
//
// A short run is not an overload: a server counts only when its job count
// is above what it can serve by more than chance explains. Its capacity in
// jobs over the measured window is total·speed/(load·capacity); arrivals
// to one server are at most as variable as a Poisson count, so the test
// asks for d − z·√d above that capacity, with z the one-sided normal
// quantile at 5% Bonferroni-corrected over the servers (z = 2.4 for 6
// servers, 3.3 for 100, 5.3 for a million), so that a balanced policy is
// flagged by chance in fewer than one run in twenty at any N.
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
	z := overloadZ(len(dispatched))
	for s, d := range dispatched {
		rho := d / total * load * capacity / speeds[s]
		canServe := total * speeds[s] / (load * capacity)
		if rho >= 1 && d-z*math.Sqrt(d) > canServe && (busy == nil || busy[s] >= 0.98) {
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

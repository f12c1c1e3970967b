package sim

import (
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// addNetworkDelay adds the scenario's fixed transport time d to every
// response-time figure of res: the mean and quantiles, their intervals and
// samples, the CDF and the theory's prediction. A constant delay outside
// the queues shifts each job's response by d and changes nothing else
// (policies count a job at its server from dispatch to completion), so
// this is exact; waits, queue lengths and utilization stay as simulated.
func addNetworkDelay(res *metrics.Result, d float64) {
	if d == 0 {
		return
	}
	for k := range res.Metrics {
		if strings.HasPrefix(k, "response_") || k == "theory_response_mean" {
			res.Metrics[k] += d
		}
	}
	for k, ci := range res.CI95 {
		if strings.HasPrefix(k, "response_") {
			res.CI95[k] = [2]float64{ci[0] + d, ci[1] + d}
		}
	}
	for k, xs := range res.Samples {
		if strings.HasPrefix(k, "response_") {
			for i := range xs {
				xs[i] += d
			}
		}
	}
	for i := range res.CDF {
		res.CDF[i][0] += d
	}
}

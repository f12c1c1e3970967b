package stratbench_test

import "github.com/stratbench/stratbench/metrics"

// benchName names a sub-benchmark key=value/key=value, as the result
// records do, so that benchstat -col /key works on the output.
func benchName(kv ...any) string { return metrics.Name(kv...) }

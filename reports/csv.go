package reports

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// WriteCSV writes results in long form, one row per result and metric,
// ready for a spreadsheet, pandas or R: engine, family, name, strategy,
// scenario, metric, unit, better, value, the 95% interval, the number of
// samples, then one column per parameter (param.KEY) across all results.
func WriteCSV(w io.Writer, results []metrics.Result, units Units) error {
	keys := map[string]bool{}
	for _, r := range results {
		for k := range r.Params {
			keys[k] = true
		}
	}
	params := slices.Sorted(maps.Keys(keys))
	cw := csv.NewWriter(w)
	head := []string{"engine", "family", "name", "strategy", "scenario", "metric", "unit", "better", "value", "ci95_lo", "ci95_hi", "samples"}
	for _, k := range params {
		head = append(head, "param."+k)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for i := range results {
		r := &results[i]
		_, strat := StrategyOf(r)
		scen := ScenarioOf(r)
		fam, _, _ := cutFamily(FullName(r))
		for _, m := range r.MetricNames() {
			unit, better := units.Describe(m)
			row := []string{r.Engine, fam, r.Name, strat, scen, m, unit, better.String(), num(r.Metrics[m]), "", "", ""}
			if ci, ok := r.CI95[m]; ok {
				row[9], row[10] = num(ci[0]), num(ci[1])
			}
			if s := r.Samples[m]; len(s) > 0 {
				row[11] = strconv.Itoa(len(s))
			}
			for _, k := range params {
				v := ""
				if x, ok := r.Params[k]; ok {
					v = metrics.FormatValue(x)
				}
				row = append(row, v)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func cutFamily(full string) (family, rest string, ok bool) {
	return strings.Cut(full, "/")
}

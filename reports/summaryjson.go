// summary.json's rows encoded by hand, as json.MarshalIndent encodes them
// (a sweep of a million records has 170,000 rows, and reflection spent
// most of the time of writing the file).

package reports

import (
	"math"
	"strconv"
)

// appendSummaryRowJSON appends row as json.MarshalIndent(row, prefix,
// "  ") writes it, and reports whether it could: a value encoding/json
// refuses (NaN, an infinity) is left to it.
func appendSummaryRowJSON(b []byte, row *SummaryRow, prefix string) ([]byte, bool) {
	ok := finite(row.BestValue) && allFinite(row.BestCI)
	for i := range row.Ranks {
		ok = ok && finite(row.Ranks[i].Value) && allFinite(row.Ranks[i].CI)
	}
	if !ok {
		return b, false
	}
	j := jsonIndent{b: b, prefix: prefix}
	j.begin('{')
	j.str("scenario", row.Scenario)
	j.str("metric", row.Metric)
	j.str("metric_text", row.MetricText)
	j.str("better", row.Better)
	j.strs("best", row.Best, false)
	j.strOmit("winner", row.Winner)
	j.str("leader", row.Leader)
	j.str("value", row.Value)
	j.key("best_value")
	j.b = appendJSONFloat(j.b, row.BestValue)
	j.floatsOmit("best_ci95", row.BestCI)
	j.strOmit("runner_up", row.RunnerUp)
	j.strOmit("ratio", row.Ratio)
	j.strOmit("significance", row.Significance)
	j.strOmit("worst", row.Worst)
	j.strOmit("worst_ratio", row.WorstRatio)
	j.strOmit("bound", row.Bound)
	j.strOmit("bound_value", row.BoundValue)
	j.strOmit("bound_gap", row.BoundGap)
	j.key("ranks")
	if row.Ranks == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.begin('[')
		for i := range row.Ranks {
			rr := &row.Ranks[i]
			j.elem()
			j.begin('{')
			j.str("name", rr.Name)
			j.key("value")
			j.b = appendJSONFloat(j.b, rr.Value)
			j.floatsOmit("ci95", rr.CI)
			if len(rr.Rank) > 0 {
				j.key("rank")
				j.begin('[')
				for _, k := range rr.Rank {
					j.elem()
					j.b = strconv.AppendInt(j.b, int64(k), 10)
				}
				j.end(']')
			}
			if rr.Bound {
				j.key("bound")
				j.b = append(j.b, "true"...)
			}
			j.end('}')
		}
		j.end(']')
	}
	j.strs("unstable", row.Unstable, true)
	j.strs("caveats", row.Caveats, true)
	j.strs("comparisons", row.Lines, false)
	j.end('}')
	return j.b, true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func allFinite(xs []float64) bool {
	for _, x := range xs {
		if !finite(x) {
			return false
		}
	}
	return true
}

// jsonIndent writes JSON laid out as json.MarshalIndent lays it out with
// an indent of two spaces.
type jsonIndent struct {
	b      []byte
	prefix string
	depth  int
	first  bool // nothing written yet in the innermost object or array
}

func (j *jsonIndent) newline() {
	j.b = append(j.b, '\n')
	j.b = append(j.b, j.prefix...)
	for range j.depth {
		j.b = append(j.b, "  "...)
	}
}

func (j *jsonIndent) begin(c byte) {
	j.b = append(j.b, c)
	j.depth++
	j.first = true
}

// end closes an object or array: an empty one stays "{}" or "[]".
func (j *jsonIndent) end(c byte) {
	j.depth--
	if !j.first {
		j.newline()
	}
	j.b = append(j.b, c)
	j.first = false
}

// elem starts the next element of an array (or field of an object).
func (j *jsonIndent) elem() {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.newline()
}

func (j *jsonIndent) key(k string) {
	j.elem()
	j.b = appendJSONString(j.b, k)
	j.b = append(j.b, ": "...)
}

func (j *jsonIndent) str(k, v string) {
	j.key(k)
	j.b = appendJSONString(j.b, v)
}

func (j *jsonIndent) strOmit(k, v string) {
	if v != "" {
		j.str(k, v)
	}
}

// strs writes a list of strings: null when nil, nothing when empty and
// omitempty.
func (j *jsonIndent) strs(k string, vs []string, omitEmpty bool) {
	if omitEmpty && len(vs) == 0 {
		return
	}
	j.key(k)
	if vs == nil {
		j.b = append(j.b, "null"...)
		return
	}
	j.begin('[')
	for _, v := range vs {
		j.elem()
		j.b = appendJSONString(j.b, v)
	}
	j.end(']')
}

func (j *jsonIndent) floatsOmit(k string, vs []float64) {
	if len(vs) == 0 {
		return
	}
	j.key(k)
	j.begin('[')
	for _, v := range vs {
		j.elem()
		j.b = appendJSONFloat(j.b, v)
	}
	j.end(']')
}

package reports

import (
	"bufio"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// WriteCSV writes results as a table with one row per result, ready for
// a spreadsheet, pandas or R:
//
//	engine,family,name,strategy,scenario,param.KEY...,METRIC,METRIC.ci95_lo,METRIC.ci95_hi,METRIC.samples...
//
// The parameters come first, one column each (param.KEY, sorted by key,
// across all results), then the metrics, sorted by name: each metric's
// value, and when any result has them, the bounds of its 95% interval and
// the number of its samples. A result without a parameter, a metric, an
// interval or samples leaves the cell empty. A metric named like one of the
// first five columns, or starting with "param.", is named metric.METRIC.
// The units of the metrics, and whether higher or lower is better, are in
// summary.json ("metrics"). Numbers are written in Go's shortest form
// ('g'); lists are written as fmt writes them ([2 1 1]).
//
// This is the long form's information (one row per result and metric, as
// results.csv was before) in a tenth of the size: a sweep of a million
// results is a million rows, which a spreadsheet still opens.
func WriteCSV(w io.Writer, results []metrics.Result, units Units) error {
	lay := newCSVLayout()
	for i := range results {
		lay.add(&results[i], results[i].MetricNames())
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(lay.header())
	var b []byte
	for i := range results {
		r := &results[i]
		_, strat := StrategyOf(r)
		b = lay.appendRow(b[:0], r, strat, ScenarioOf(r), r.MetricNames())
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvLayout is the columns of results.csv: the parameter keys and the
// metrics, with whether each metric has interval and samples columns.
type csvLayout struct {
	params  []string // sorted
	metrics []csvMetric
	pidx    map[string]int // by key, into params
	midx    map[string]int // by name, into metrics
}

type csvMetric struct {
	name        string
	ci, samples bool
}

// csvFixed are the first columns of results.csv.
var csvFixed = []string{"engine", "family", "name", "strategy", "scenario"}

func newCSVLayout() *csvLayout {
	return &csvLayout{pidx: map[string]int{}, midx: map[string]int{}}
}

// fits reports whether r's row has all its cells among the layout's
// columns (names are r's metric names).
func (l *csvLayout) fits(r *metrics.Result, names []string) bool {
	for k := range r.Params {
		if _, ok := l.pidx[k]; !ok {
			return false
		}
	}
	for _, m := range names {
		i, ok := l.midx[m]
		if !ok {
			return false
		}
		if _, has := r.CI95[m]; has && !l.metrics[i].ci {
			return false
		}
		if len(r.Samples[m]) > 0 && !l.metrics[i].samples {
			return false
		}
	}
	return true
}

// add widens the layout to hold r's row; it reports whether it changed.
func (l *csvLayout) add(r *metrics.Result, names []string) bool {
	changed := false
	for k := range r.Params {
		if _, ok := l.pidx[k]; !ok {
			l.params = append(l.params, k)
			l.pidx[k] = -1
			changed = true
		}
	}
	if changed {
		slices.Sort(l.params)
		for i, k := range l.params {
			l.pidx[k] = i
		}
	}
	sortM := false
	for _, m := range names {
		i, ok := l.midx[m]
		if !ok {
			l.metrics = append(l.metrics, csvMetric{name: m})
			i = len(l.metrics) - 1
			l.midx[m] = i
			changed, sortM = true, true
		}
		cm := &l.metrics[i]
		if _, has := r.CI95[m]; has && !cm.ci {
			cm.ci, changed = true, true
		}
		if len(r.Samples[m]) > 0 && !cm.samples {
			cm.samples, changed = true, true
		}
	}
	if sortM {
		slices.SortFunc(l.metrics, func(a, b csvMetric) int { return strings.Compare(a.name, b.name) })
		for i, m := range l.metrics {
			l.midx[m.name] = i
		}
	}
	return changed
}

// clone copies the layout (a version of it that rows were written in).
func (l *csvLayout) clone() *csvLayout {
	return &csvLayout{params: slices.Clone(l.params), metrics: slices.Clone(l.metrics),
		pidx: maps.Clone(l.pidx), midx: maps.Clone(l.midx)}
}

// columns are the layout's column names.
func (l *csvLayout) columns() []string {
	cols := slices.Clone(csvFixed)
	for _, k := range l.params {
		cols = append(cols, "param."+k)
	}
	for _, m := range l.metrics {
		name := m.name
		if slices.Contains(csvFixed, name) || strings.HasPrefix(name, "param.") || strings.HasPrefix(name, "metric.") {
			name = "metric." + name
		}
		cols = append(cols, name)
		if m.ci {
			cols = append(cols, name+".ci95_lo", name+".ci95_hi")
		}
		if m.samples {
			cols = append(cols, name+".samples")
		}
	}
	return cols
}

// header is the first line of results.csv.
func (l *csvLayout) header() []byte {
	var b []byte
	for i, c := range l.columns() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c)
	}
	return append(b, '\n')
}

// appendRow appends r's row, which must fit the layout; strat and scen are
// its strategy and scenario, names its metric names.
func (l *csvLayout) appendRow(b []byte, r *metrics.Result, strat, scen string, names []string) []byte {
	fam, _, _ := cutFamily(FullName(r))
	for i, f := range [...]string{r.Engine, fam, r.Name, strat, scen} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	for _, k := range l.params {
		b = append(b, ',')
		if v, ok := r.Params[k]; ok {
			b = appendCSVParam(b, v)
		}
	}
	j := 0 // the next of names (sorted, as the layout's metrics are)
	for _, m := range l.metrics {
		b = append(b, ',')
		if j < len(names) && names[j] == m.name {
			j++
			b = strconv.AppendFloat(b, r.Metrics[m.name], 'g', -1, 64)
			if m.ci {
				b = append(b, ',')
				if ci, ok := r.CI95[m.name]; ok {
					b = strconv.AppendFloat(b, ci[0], 'g', -1, 64)
					b = append(b, ',')
					b = strconv.AppendFloat(b, ci[1], 'g', -1, 64)
				} else {
					b = append(b, ',')
				}
			}
			if m.samples {
				b = append(b, ',')
				if s := r.Samples[m.name]; len(s) > 0 {
					b = strconv.AppendInt(b, int64(len(s)), 10)
				}
			}
			continue
		}
		if m.ci {
			b = append(b, ",,"...)
		}
		if m.samples {
			b = append(b, ',')
		}
	}
	return append(b, '\n')
}

// appendCSVParam appends a parameter's value as one field, as
// metrics.FormatValue writes it.
func appendCSVParam(b []byte, v any) []byte {
	switch x := v.(type) {
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64) // never quoted
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendCSVField(b, x)
	case []any:
		// A list of numbers (speeds, weights) as fmt.Sprint writes it,
		// without its reflection.
		var arr [128]byte
		if t, ok := appendSprintList(arr[:0], x); ok {
			return appendCSVField(b, t)
		}
	}
	return appendCSVField(b, metrics.FormatValue(v))
}

// appendSprintList appends xs as fmt.Sprint writes a []any, "[2 1 1]",
// when its elements are finite numbers, strings or booleans, else it
// reports false.
func appendSprintList(b []byte, xs []any) ([]byte, bool) {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ' ')
		}
		switch v := x.(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return b, false
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		case string:
			b = append(b, v...)
		case bool:
			b = strconv.AppendBool(b, v)
		default:
			return b, false
		}
	}
	return append(b, ']'), true
}

func cutFamily(full string) (family, rest string, ok bool) {
	return strings.Cut(full, "/")
}

package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/stratbench/stratbench/metrics"
)

// answerChecks compares the answers of results that computed the same
// thing (kernel twins, XML kernels over one document): results of one
// scenario, whatever their strategy and worker count, and of one input
// size (params.bytes) must agree. It returns a note for each disagreement,
// naming the strategies and the answers that differ.
func answerChecks(results []metrics.Result) []string {
	var a answerAcc
	for i := range results {
		a.add(&results[i])
	}
	return a.notes()
}

// answerAcc collects the answers of results one at a time, keeping only
// those of results that have answers.
type answerAcc struct {
	groups map[string][]answerEntry
	order  []string
}

type answerEntry struct {
	strategy string
	answers  map[string]string
}

func (a *answerAcc) add(r *metrics.Result) {
	if len(r.Answers) == 0 {
		return
	}
	if a.groups == nil {
		a.groups = map[string][]answerEntry{}
	}
	key := scenarioWithout(r, "workers", "executor", "chunks")
	if b, ok := param(r, "bytes"); ok {
		key += " bytes=" + b
	}
	if _, ok := a.groups[key]; !ok {
		a.order = append(a.order, key)
	}
	e := answerEntry{answers: map[string]string{}}
	_, e.strategy = StrategyOf(r)
	for k, v := range r.Answers {
		b, _ := json.Marshal(v)
		e.answers[k] = string(b)
	}
	a.groups[key] = append(a.groups[key], e)
}

func (a *answerAcc) notes() []string {
	var notes []string
	for _, key := range a.order {
		g := a.groups[key]
		ref := g[0]
		for _, e := range g[1:] {
			var diff []string
			for _, q := range slices.Sorted(maps.Keys(ref.answers)) {
				if a, ok := e.answers[q]; ok && a != ref.answers[q] {
					diff = append(diff, fmt.Sprintf("%s: %s gives %s, %s gives %s", q, ref.strategy, ref.answers[q], e.strategy, a))
				}
			}
			if len(diff) > 0 {
				notes = append(notes, fmt.Sprintf("answers differ in %s (%s)", describeScenario(key), strings.Join(diff, "; ")))
			}
		}
	}
	return notes
}

package suite

import (
	_ "embed"
)

//go:embed default.yaml
var defaultSuite []byte

// Default returns the embedded default suite, which covers every area:
// kernel twins, executors and schedules, XML, every policy in the simulator
// across loads, and the same policies run for real beside their prediction.
func Default() *File {
	f, err := Parse("default", defaultSuite)
	if err != nil {
		panic("suite: the embedded default suite is invalid: " + err.Error())
	}
	return f
}

// DefaultYAML returns the default suite's text, a starting point for one's
// own suite files.
func DefaultYAML() []byte { return defaultSuite }

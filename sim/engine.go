package sim

// Engine is one replication of a simulation that the caller advances event
// by event. Run builds on it; benchmarks drive it directly to measure the
// cost of an event in steady state.
type Engine struct {
	c *cluster
}

// NewEngine builds replication 0 of cfg.
func NewEngine(cfg Config) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cl, err := newCluster(&c, 0, 1)
	if err != nil {
		return nil, err
	}
	return &Engine{cl}, nil
}

// Step processes up to n events and returns how many it processed (fewer
// only when every measured job has departed).
func (e *Engine) Step(n int) int {
	c := e.c
	for i := range n {
		if !c.pending() {
			return i
		}
		c.step()
	}
	return n
}

// Events is the number of events processed so far.
func (e *Engine) Events() uint64 { return e.c.events }

// InSystem is the number of jobs in the system now.
func (e *Engine) InSystem() int64 { return e.c.inSystem }

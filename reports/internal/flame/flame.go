// Package flame builds flame graphs from CPU profiles and draws them as
// SVG for a page that works offline: one strategy's graph (every frame
// as wide as its share of the strategy's CPU time), and the differential
// graph of two strategies (one's frames colored by how their share
// changed from the other's). It knows nothing of results: the caller
// says which samples form a graph and how frames are colored.
package flame

import (
	"cmp"
	"slices"

	"github.com/google/pprof/profile"
)

// Node is one frame: a function called along the path of its ancestors.
type Node struct {
	// Name is the function's full name.
	Name string
	// Value is the CPU time of the samples through this frame (self and
	// below), in the profile's value unit turned to seconds; Samples
	// counts them (profiler ticks).
	Value   float64
	Samples int64
	// Children are the frames it called, by name.
	Children []*Node
	index    map[string]*Node
}

func (n *Node) child(name string) *Node {
	if c, ok := n.index[name]; ok {
		return c
	}
	if n.index == nil {
		n.index = map[string]*Node{}
	}
	c := &Node{Name: name}
	n.index[name] = c
	n.Children = append(n.Children, c)
	return c
}

// Child returns the frame called name under n, or nil.
func (n *Node) Child(name string) *Node { return n.index[name] }

// Self is the time spent in the frame itself, not in what it called.
func (n *Node) Self() float64 {
	v := n.Value
	for _, c := range n.Children {
		v -= c.Value
	}
	if v < 1e-9*n.Value { // rounding of the sums, not time
		return 0
	}
	return v
}

// Tree is a flame graph: its root stands for all samples.
type Tree struct {
	Root Node
}

// New returns an empty tree.
func New() *Tree { return &Tree{Root: Node{Name: "all"}} }

// Add adds a sample of value v (samples ticks) whose stack is given leaf
// first, as pprof stores it.
func (t *Tree) Add(stack []string, v float64, samples int64) {
	n := &t.Root
	n.Value += v
	n.Samples += samples
	for i := len(stack) - 1; i >= 0; i-- {
		n = n.child(stack[i])
		n.Value += v
		n.Samples += samples
	}
}

// Total is the tree's CPU time.
func (t *Tree) Total() float64 { return t.Root.Value }

// sort orders every node's children by name, as flame graphs do, so that
// the graphs of two strategies line up where their stacks agree.
func (n *Node) sort() {
	slices.SortFunc(n.Children, func(a, b *Node) int { return cmp.Compare(a.Name, b.Name) })
	for _, c := range n.Children {
		c.sort()
	}
}

// Stack is the functions of a sample, leaf first, inlined frames
// included ("?" for a location without a function).
func Stack(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			name := "?"
			if ln.Function != nil {
				name = ln.Function.Name
			}
			out = append(out, name)
		}
		if len(loc.Line) == 0 {
			out = append(out, "?")
		}
	}
	return out
}

// CPUValue returns the index of the CPU time of p's samples and the factor
// that turns it into seconds; without a CPU sample type, the last value
// as is.
func CPUValue(p *profile.Profile) (int, float64) {
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			switch st.Unit {
			case "nanoseconds":
				return i, 1e-9
			case "microseconds":
				return i, 1e-6
			case "milliseconds":
				return i, 1e-3
			}
			return i, 1
		}
	}
	return len(p.SampleType) - 1, 1
}

// SampleCount is how many profiler ticks s stands for: its "samples"
// value in Go's CPU profiles, else 1.
func SampleCount(p *profile.Profile, s *profile.Sample) int64 {
	for i, st := range p.SampleType {
		if st.Type == "samples" && i < len(s.Value) {
			return s.Value[i]
		}
	}
	return 1
}

// FromProfile builds the tree of the samples of p whose label key has
// the value want (want "" takes the samples without that label).
func FromProfile(p *profile.Profile, key, want string) *Tree {
	t := New()
	vi, scale := CPUValue(p)
	for _, s := range p.Sample {
		if vi < 0 || vi >= len(s.Value) {
			continue
		}
		got := ""
		if l := s.Label[key]; len(l) > 0 {
			got = l[0]
		}
		if got != want {
			continue
		}
		t.Add(Stack(s), float64(s.Value[vi])*scale, SampleCount(p, s))
	}
	return t
}

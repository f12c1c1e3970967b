package field

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
)

type inner struct {
	N    int
	Unit time.Duration
}

type config struct {
	Name  string
	In    inner
	Seed  uint64
	On    bool
	X     float64
	Unit  time.Duration
	Times []float64 // in units of Unit, set after it
	Tags  []string
}

func table() []Field[config] {
	in := Lift([]Field[inner]{Count("n", "a count", "3", 1, func(c *inner) *int { return &c.N })}, func(c *config) *inner { return &c.In })
	return append(in,
		Text("name", "a name", "x", func(c *config) *string { return &c.Name }),
		Big("seed", "a seed", "1", func(c *config) *uint64 { return &c.Seed }),
		Flag("on", "a switch", func(c *config) *bool { return &c.On }),
		Number("x", "a number", "", func(c *config) *float64 { return &c.X }),
		Time("unit", "a unit", "1ms", time.Nanosecond, func(c *config) *time.Duration { return &c.Unit }),
		Field[config]{Name: "times", Kind: List, Set: func(c *config, v string) error {
			ds := Split(v)
			for _, d := range ds {
				x, err := time.ParseDuration(d)
				if err != nil {
					return err // not bad input: Apply names the field
				}
				c.Times = append(c.Times, float64(x)/float64(c.Unit))
			}
			return nil
		}},
	)
}

func given(kv ...string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1], true
			}
		}
		return "", false
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []string
		want  config
		err   string // "" for none
	}{
		// Nothing given: every default, the fields without one untouched.
		{"defaults", nil, config{Name: "x", In: inner{N: 3}, Seed: 1, Unit: time.Millisecond}, ""},
		// Given text wins; the times use the unit set before them.
		{"given", []string{"n", "5", "on", "true", "x", "0.5", "unit", "2ms", "times", "4ms,1ms"},
			config{Name: "x", In: inner{N: 5}, Seed: 1, On: true, X: 0.5, Unit: 2 * time.Millisecond, Times: []float64{2, 0.5}}, ""},
		// A check of the lifted field names the field.
		{"min", []string{"n", "0"}, config{}, "n must be >= 1, got 0"},
		{"not int", []string{"n", "two"}, config{}, `n: "two" is not an integer`},
		{"duration", []string{"unit", "0s"}, config{}, "unit must be > 0, got 0s"},
		{"number", []string{"x", "NaN"}, config{}, `x: want a number, got "NaN"`},
		// A plain error of Set is bad input of its field.
		{"plain", []string{"times", "4"}, config{}, `times: time: missing unit in duration "4"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			err := Apply(table(), &c, given(tc.given...))
			if tc.err != "" {
				var fe *bad.FieldError
				if err == nil || err.Error() != tc.err || !errors.Is(err, bad.ErrInput) || !errors.As(err, &fe) {
					t.Fatalf("error %v, want the field error %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got %+v, %v; want %+v", c, err, tc.want)
			}
		})
	}
}

func TestTableEdits(t *testing.T) {
	fs := WithHelp(WithDefault(Drop(table(), "x", "times"), "n", "7"), "n", "another help", "nope", "none")
	if got := strings.Join(Names(fs), ","); got != "n,name,seed,on,unit" {
		t.Errorf("names %s", got)
	}
	if got := strings.Join(Names(Pick(table(), "unit", "nope", "n")), ","); got != "unit,n" {
		t.Errorf("picked %s", got)
	}
	if fs[0].Default != "7" || fs[0].Usage != "another help" || table()[0].Default != "3" {
		t.Errorf("tuned %+v; the table itself must not change", fs[0])
	}
}

func TestLists(t *testing.T) {
	if xs, err := Floats("load", " 0.5, 0.9"); err != nil || !reflect.DeepEqual(xs, []float64{0.5, 0.9}) {
		t.Errorf("Floats: %v %v", xs, err)
	}
	for _, v := range []string{"x", "1,", "Inf", "0.5,NaN"} {
		if _, err := Floats("load", v); err == nil || !strings.HasPrefix(err.Error(), "load: want comma-separated numbers") {
			t.Errorf("Floats(%q): %v", v, err)
		}
	}
	if xs, err := Ints("workers", "1,,2"); err != nil || !reflect.DeepEqual(xs, []int{1, 2}) {
		t.Errorf("Ints: %v %v", xs, err)
	}
	if _, err := Ints("workers", "0"); err == nil || err.Error() != "workers must be > 0, got 0" {
		t.Errorf("Ints(0): %v", err)
	}
	if got := Split(" a, ,b,"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Split: %q", got)
	}
}

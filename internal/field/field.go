// Package field describes the settings of a configuration as a table: each
// field has a name, a kind, one line of help, a default, and a function
// that sets it from text. A library declares the table of its
// configuration once; a command makes one flag a field from it (the flag
// is the field's name with dashes: network_delay is --network-delay) and
// sets the configuration from what was given, and the library's errors
// name the same fields (bad.Field), which the command maps back to flags.
//
// Fields are set in table order, each from the text given or else from
// its default, so that a field may depend on those before it (the faults
// on the time unit, the policy options on the policies).
package field

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
)

// Kind is how a field's value is written.
type Kind uint8

// The kinds of field.
const (
	String   Kind = iota // any text
	Int                  // a whole number, as strconv.Atoi reads it
	Uint                 // a whole number >= 0, as strconv.ParseUint reads it
	Float                // a number, as strconv.ParseFloat reads it
	Duration             // a duration, as time.ParseDuration reads it
	Bool                 // true or false; given alone, true
	List                 // text that may be given several times: the values are joined with commas
)

// Field is one setting of a configuration of type C.
type Field[C any] struct {
	// Name is the field's name in snake_case, as errors name it.
	Name string
	// Aliases are other names of its flag (o for out).
	Aliases []string
	Kind    Kind
	// Usage is one line of help.
	Usage string
	// Default is the value the field is set from when none is given, as
	// text; "" leaves the field as it is (its zero value, which the
	// configuration gives a meaning: DefaultText says which).
	Default string
	// DefaultText is what help says of the default instead of Default.
	DefaultText string
	// Set sets the field of c from text in the field's Kind. An error that
	// is not already bad input is reported as bad input of this field.
	Set func(c *C, v string) error
}

// Apply sets c from fs in table order: each field from the text given
// returns for it, else from its Default (a field without either is left
// as it is). Errors are bad input naming the field.
func Apply[C any](fs []Field[C], c *C, given func(name string) (string, bool)) error {
	for _, f := range fs {
		v, ok := given(f.Name)
		if !ok {
			if f.Default == "" {
				continue
			}
			v = f.Default
		}
		if err := f.Set(c, v); err != nil {
			if errors.Is(err, bad.ErrInput) {
				return err
			}
			return bad.Field(f.Name, ": %v", err)
		}
	}
	return nil
}

// Lift makes the fields of a part S of a configuration C (an embedded
// configuration) fields of C.
func Lift[C, S any](fs []Field[S], part func(*C) *S) []Field[C] {
	out := make([]Field[C], len(fs))
	for i, f := range fs {
		set := f.Set
		out[i] = Field[C]{Name: f.Name, Aliases: f.Aliases, Kind: f.Kind, Usage: f.Usage, Default: f.Default, DefaultText: f.DefaultText,
			Set: func(c *C, v string) error { return set(part(c), v) }}
	}
	return out
}

// Pick returns the named fields of fs, in that order (a name fs lacks is
// left out).
func Pick[C any](fs []Field[C], names ...string) []Field[C] {
	var out []Field[C]
	for _, n := range names {
		if i := slices.IndexFunc(fs, func(f Field[C]) bool { return f.Name == n }); i >= 0 {
			out = append(out, fs[i])
		}
	}
	return out
}

// Drop returns fs without the named fields.
func Drop[C any](fs []Field[C], names ...string) []Field[C] {
	return slices.DeleteFunc(slices.Clone(fs), func(f Field[C]) bool { return slices.Contains(names, f.Name) })
}

// WithDefault returns fs with the named field's default changed (a
// command that runs the same setting with another default).
func WithDefault[C any](fs []Field[C], name, def string) []Field[C] {
	return edit(fs, name, func(f *Field[C]) { f.Default = def })
}

// WithHelp returns fs with the help of some fields changed: pairs of a
// field's name and its new help.
func WithHelp[C any](fs []Field[C], nameHelp ...string) []Field[C] {
	for i := 0; i+1 < len(nameHelp); i += 2 {
		fs = edit(fs, nameHelp[i], func(f *Field[C]) { f.Usage = nameHelp[i+1] })
	}
	return fs
}

func edit[C any](fs []Field[C], name string, change func(*Field[C])) []Field[C] {
	fs = slices.Clone(fs)
	for i := range fs {
		if fs[i].Name == name {
			change(&fs[i])
		}
	}
	return fs
}

// Text is a String field that stores its text in *p(c).
func Text[C any](name, usage, def string, p func(*C) *string) Field[C] {
	return Field[C]{Name: name, Kind: String, Usage: usage, Default: def,
		Set: func(c *C, v string) error { *p(c) = v; return nil }}
}

// Flag is a Bool field stored in *p(c).
func Flag[C any](name, usage string, p func(*C) *bool) Field[C] {
	return Field[C]{Name: name, Kind: Bool, Usage: usage,
		Set: func(c *C, v string) error {
			b, err := strconv.ParseBool(v)
			*p(c) = b
			return err
		}}
}

// NoMin is the min of a Count that may take any value.
const NoMin = math.MinInt

// Count is an Int field stored in *p(c) that must be at least min.
func Count[C any](name, usage, def string, min int, p func(*C) *int) Field[C] {
	return Field[C]{Name: name, Kind: Int, Usage: usage, Default: def,
		Set: func(c *C, v string) (err error) {
			if *p(c), err = ParseInt(name, v, min); err != nil {
				return err
			}
			return nil
		}}
}

// Number is a Float field stored in *p(c) (a finite number).
func Number[C any](name, usage, def string, p func(*C) *float64) Field[C] {
	return Field[C]{Name: name, Kind: Float, Usage: usage, Default: def,
		Set: func(c *C, v string) error {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return bad.Field(name, ": want a number, got %q", v)
			}
			*p(c) = x
			return nil
		}}
}

// Big is a Uint field stored in *p(c).
func Big[C any](name, usage, def string, p func(*C) *uint64) Field[C] {
	return Field[C]{Name: name, Kind: Uint, Usage: usage, Default: def,
		Set: func(c *C, v string) (err error) {
			*p(c), err = strconv.ParseUint(v, 10, 64)
			return err
		}}
}

// Time is a Duration field stored in *p(c) that must be at least min.
func Time[C any](name, usage, def string, min time.Duration, p func(*C) *time.Duration) Field[C] {
	return Field[C]{Name: name, Kind: Duration, Usage: usage, Default: def,
		Set: func(c *C, v string) (err error) {
			*p(c), err = ParseDuration(name, v, min)
			return err
		}}
}

// ParseInt reads a whole number >= min for the named field.
func ParseInt(name, v string, min int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case err != nil:
		return 0, bad.Field(name, ": %q is not an integer", v)
	case n < min:
		return n, bad.Field(name, "must be >= %d, got %d", min, n)
	}
	return n, nil
}

// ParseDuration reads a duration >= min for the named field (NoMin: any).
func ParseDuration(name, v string, min time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	switch {
	case err != nil:
		return 0, bad.Field(name, ": %q is not a duration", v)
	case d >= min:
		return d, nil
	case min == time.Nanosecond:
		return d, bad.Field(name, "must be > 0, got %v", d)
	case min == 0:
		return d, bad.Field(name, "must be >= 0, got %v", d)
	}
	return d, bad.Field(name, "must be >= %v, got %v", min, d)
}

// Floats reads a comma-separated list of finite numbers for the named
// field ("" is none).
func Floats(name, v string) ([]float64, error) {
	var out []float64
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for part := range strings.SplitSeq(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad.Field(name, ": want comma-separated numbers, got %q", part)
		}
		out = append(out, x)
	}
	return out, nil
}

// Ints reads a comma-separated list of whole numbers > 0 for the named
// field.
func Ints(name, v string) ([]int, error) {
	var out []int
	for _, part := range Split(v) {
		x, err := strconv.Atoi(part)
		if err != nil {
			return nil, bad.Field(name, ": want comma-separated integers, got %q", part)
		}
		if x <= 0 {
			return nil, bad.Field(name, "must be > 0, got %d", x)
		}
		out = append(out, x)
	}
	return out, nil
}

// Split splits a comma-separated list, dropping empty items.
func Split(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Names lists the names of fs.
func Names[C any](fs []Field[C]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

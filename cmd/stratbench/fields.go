package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/field"
)

// flagName is the flag of a library's field: its name with dashes.
func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }

// flags makes one flag a field of fs, of the type of its kind, with its
// default.
func flags[C any](fs []field.Field[C]) []cli.Flag {
	out := make([]cli.Flag, len(fs))
	for i, f := range fs {
		n, a, u, d, dt := flagName(f.Name), f.Aliases, f.Usage, f.Default, f.DefaultText
		switch f.Kind {
		case field.Int:
			v, _ := strconv.Atoi(d)
			out[i] = &cli.IntFlag{Name: n, Aliases: a, Usage: u, Value: v, DefaultText: dt}
		case field.Uint:
			v, _ := strconv.ParseUint(d, 10, 64)
			out[i] = &cli.Uint64Flag{Name: n, Aliases: a, Usage: u, Value: v, DefaultText: dt}
		case field.Float:
			v, _ := strconv.ParseFloat(d, 64)
			out[i] = &cli.Float64Flag{Name: n, Aliases: a, Usage: u, Value: v, DefaultText: dt}
		case field.Duration:
			v, _ := time.ParseDuration(d)
			out[i] = &cli.DurationFlag{Name: n, Aliases: a, Usage: u, Value: v, DefaultText: dt}
		case field.Bool:
			out[i] = &cli.BoolFlag{Name: n, Aliases: a, Usage: u, DefaultText: dt}
		case field.List:
			out[i] = &cli.StringSliceFlag{Name: n, Aliases: a, Usage: u, DefaultText: dt}
		default:
			out[i] = &cli.StringFlag{Name: n, Aliases: a, Usage: u, Value: d, DefaultText: dt}
		}
	}
	return out
}

// apply sets cfg from the flags of fs given on c's command line, the
// others from their defaults (field.Apply).
func apply[C any](c *cli.Context, fs []field.Field[C], cfg *C) error {
	return field.Apply(fs, cfg, func(name string) (string, bool) {
		n := flagName(name)
		if !c.IsSet(n) {
			return "", false
		}
		if _, list := findFlag(c.Command.Flags, n).(*cli.StringSliceFlag); list {
			return strings.Join(c.StringSlice(n), ","), true
		}
		return c.String(n), true
	})
}

// flagError rewrites a library's error about its fields
// (bad.FieldError) to name the flags of command cmd that set them
// (renamed maps the fields a command sets under another name, as run
// cluster's --workers sets servers); other errors pass unchanged.
func flagError(cmd *cli.Command, renamed map[string]string, err error) error {
	var fe *bad.FieldError
	if err == nil || cmd == nil || !errors.As(err, &fe) {
		return err
	}
	flag := func(f string) string {
		name := flagName(f)
		if r, ok := renamed[f]; ok {
			name = r
		}
		switch {
		case findFlag(cmd.Flags, name) == nil:
			return f
		case len(name) == 1:
			return "-" + name
		}
		return "--" + name
	}
	return bad.Input(errors.New(strings.Replace(err.Error(), fe.Error(), fe.Render(flag), 1)))
}

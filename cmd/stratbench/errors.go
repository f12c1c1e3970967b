package main

import (
	"errors"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
)

// fieldFlags maps, per command, a library's field to the flag of another
// name that sets it; every other field is set by the flag of its own name
// (underscores written as dashes).
var fieldFlags = map[string]map[string]string{
	"cluster": {"servers": "workers"},
}

// flagError rewrites a library's error about one of its fields
// (bad.FieldError) to name the flag of command cmd that sets the field;
// other errors pass unchanged.
func flagError(cmd *cli.Command, err error) error {
	var fe *bad.FieldError
	if err == nil || cmd == nil || !errors.As(err, &fe) {
		return err
	}
	name := strings.ReplaceAll(fe.Field, "_", "-")
	if f, ok := fieldFlags[cmd.Name][fe.Field]; ok {
		name = f
	}
	if findFlag(cmd.Flags, name) == nil {
		return err
	}
	flag := "--" + name
	if len(name) == 1 {
		flag = "-" + name
	}
	return bad.Input(errors.New(strings.Replace(err.Error(), fe.Error(), fe.WithName(flag), 1)))
}

// mapFieldErrors makes every action of cmds and their subcommands name its
// flags in the errors of the libraries it calls.
func mapFieldErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		if act := c.Action; act != nil {
			c.Action = func(ctx *cli.Context) error { return flagError(c, act(ctx)) }
		}
		mapFieldErrors(c.Subcommands)
	}
}

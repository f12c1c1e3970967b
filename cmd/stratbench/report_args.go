package main

import (
	"errors"
	"flag"
	"io"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/stratbench/stratbench/internal/bad"
)

// flagsAnywhere lets a command take its flags after its arguments, as in
// `stratbench report a.jsonl b.jsonl --out DIR`, which urfave/cli v2 does
// not do (it stops at the first argument). A command that uses it sets
// SkipFlagParsing and calls it first; it returns the arguments and the
// parsed flags (looked up by name), or help=true for -h/--help. After
// "--" everything is an argument.
func flagsAnywhere(c *cli.Context) (args []string, flags *flag.FlagSet, help bool, err error) {
	fs := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(fs); err != nil {
			return nil, nil, false, err
		}
	}
	all := c.Args().Slice()
	var tail []string
	if i := slices.Index(all, "--"); i >= 0 {
		all, tail = all[:i], all[i+1:]
	}
	rest := all
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, true, nil
			}
			return nil, nil, false, bad.Inputf("%v (see stratbench %s --help)", err, c.Command.Name)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		args = append(args, rest[0])
		rest = rest[1:]
	}
	if flagString(fs, "help", "h") == "true" {
		return nil, nil, true, nil
	}
	return append(args, tail...), fs, false, nil
}

// flagString is the value of a parsed flag given by any of its names (a
// flag and its aliases are separate entries of the flag set), else its
// default; "" if it is not defined.
func flagString(fs *flag.FlagSet, names ...string) string {
	val, set := "", false
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(names, f.Name) {
			val, set = f.Value.String(), true
		}
	})
	if set {
		return val
	}
	for _, n := range names {
		if f := fs.Lookup(n); f != nil {
			return f.DefValue
		}
	}
	return ""
}

// showHelp prints the command's help from inside its action (the help of
// a command is looked up from its parent's context).
func showHelp(c *cli.Context) error {
	parent := c
	if l := c.Lineage(); len(l) > 1 {
		parent = l[1]
	}
	return cli.ShowCommandHelp(parent, c.Command.Name)
}

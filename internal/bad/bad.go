// Package bad is the module's one scheme for errors caused by bad user
// input (an unknown name, an out-of-range number, a malformed file): every
// such error matches ErrInput under errors.Is, so that the command line
// exits with status 2 instead of 1.
//
// A library names what was wrong by its own field names (servers, load,
// unit), never by a command-line flag: Field makes such an error, and a
// command maps the field to its flag (FieldError.WithName).
package bad

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInput is matched, under errors.Is, by every error caused by bad
// input.
var ErrInput = errors.New("bad input")

type inputError struct{ err error }

func (e *inputError) Error() string        { return e.err.Error() }
func (e *inputError) Unwrap() error        { return e.err }
func (e *inputError) Is(target error) bool { return target == ErrInput }

// Input marks err as caused by bad input; nil stays nil.
func Input(err error) error {
	if err == nil || errors.Is(err, ErrInput) {
		return err
	}
	return &inputError{err}
}

// Inputf is Input(fmt.Errorf(format, args...)).
func Inputf(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

// FieldError is bad input in one named field of a configuration. Its
// message is the field's name followed by its text ("servers must be > 0,
// got 0"; "via: unknown balancer ..." when the text starts with a colon).
// The format of the text may name other fields as {name} ("run without
// {resume}"): Error writes them as their names, Render as the caller's
// names for them. With an empty Field the text is the whole message (it
// names its fields within).
type FieldError struct {
	Field  string
	format string
	args   []any
}

// Field returns a FieldError for field with the text format, args.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, format: format, args: args}
}

func (e *FieldError) Error() string { return e.Render(func(f string) string { return f }) }

// Is makes every FieldError bad input.
func (e *FieldError) Is(target error) bool { return target == ErrInput }

// Render is the message with every field f, its own and those its format
// names, written as name(f) (a command's flag: --workers for the field
// servers).
func (e *FieldError) Render(name func(field string) string) string {
	var f strings.Builder
	rest := e.format
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest[i+1:], '}')
		if i < 0 || j < 0 {
			break
		}
		f.WriteString(rest[:i])
		f.WriteString(strings.ReplaceAll(name(rest[i+1:i+1+j]), "%", "%%"))
		rest = rest[i+1+j+1:]
	}
	f.WriteString(rest)
	msg := fmt.Sprintf(f.String(), e.args...)
	switch {
	case e.Field == "":
		return msg
	case strings.HasPrefix(msg, ":"):
		return name(e.Field) + msg
	}
	return name(e.Field) + " " + msg
}

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
// message is the field's name followed by Msg ("servers must be > 0, got
// 0"; "via: unknown balancer ..." when Msg starts with a colon).
type FieldError struct {
	Field string
	Msg   string
}

// Field returns a FieldError for field with the message format, args.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (e *FieldError) Error() string { return e.WithName(e.Field) }

// Is makes every FieldError bad input.
func (e *FieldError) Is(target error) bool { return target == ErrInput }

// WithName is the message with the field written as name (a command's
// flag, --workers for the field servers).
func (e *FieldError) WithName(name string) string {
	if strings.HasPrefix(e.Msg, ":") {
		return name + e.Msg
	}
	return name + " " + e.Msg
}

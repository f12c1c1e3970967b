// Package bad marks errors caused by bad user input (an unknown name, an
// out-of-range number, a malformed file), so that the command line can exit
// with status 2 instead of 1.
package bad

import (
	"errors"
	"fmt"
)

type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// Input marks err as caused by bad input; nil stays nil.
func Input(err error) error {
	if err == nil || Is(err) {
		return err
	}
	return &inputError{err}
}

// Inputf is Input(fmt.Errorf(format, args...)).
func Inputf(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

// Is reports whether err (or an error it wraps) was marked by Input.
func Is(err error) bool {
	var e *inputError
	return errors.As(err, &e)
}

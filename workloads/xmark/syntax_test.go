package xmark

import (
	"errors"
	"testing"

	"github.com/stratbench/stratbench/internal/bad"
)

// isSyntax reports whether err is (or wraps) a *SyntaxError.
func isSyntax(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se)
}

func TestSyntaxErrorIsBadInput(t *testing.T) {
	err := error(&SyntaxError{Input: "a.xml", Line: 2, Offset: 9, Msg: "no root element"})
	if !errors.Is(err, bad.ErrInput) || errors.Is(errors.New("x"), bad.ErrInput) {
		t.Fatal("a syntax error is not bad input")
	}
}

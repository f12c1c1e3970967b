//go:build !linux

package main

import (
	"errors"
	"os"
)

// openPTY is not implemented here: the tests that need a terminal skip.
func openPTY() (ptm, tty *os.File, err error) { return nil, nil, errors.ErrUnsupported }

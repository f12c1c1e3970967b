package xmark

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stratbench/stratbench/internal/bad"
)

// SyntaxError is a malformed document: it names the input, the line and
// the byte offset where the problem was found.
type SyntaxError struct {
	// Input names the document (a file name, "-" for stdin, doc[i]).
	Input string
	// Line is 1-based.
	Line int
	// Offset is the byte offset from the start of the input.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s (byte offset %d)", e.Input, e.Line, e.Msg, e.Offset)
}

// Is makes a SyntaxError bad input (bad.ErrInput): the input, not the
// program or the machine, was at fault.
func (e *SyntaxError) Is(target error) bool { return target == bad.ErrInput }

// Messages of the checks stratbench adds to encoding/xml's: a document has
// exactly one root element and nothing but white space, comments,
// processing instructions and directives outside it (a byte-order mark may
// start the document).
const (
	msgNoRoot    = "no root element"
	msgTwoRoots  = "more than one root element"
	msgOutsideCD = "character data outside the root element"
)

// outsideText checks character data outside the root element: white space
// only, except that the first token of the document may start with U+FEFF.
// It returns the index of the first byte that is not allowed, or -1.
func outsideText[S ~string | ~[]byte](data S, atDocStart bool) int {
	s := string(data)
	i := 0
	if atDocStart && strings.HasPrefix(s, "\uFEFF") {
		i = len("\uFEFF")
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}

// lineAt is the 1-based line of byte offset off in doc.
func lineAt(doc []byte, off int64) int {
	off = min(max(off, 0), int64(len(doc)))
	return 1 + bytes.Count(doc[:off], []byte{'\n'})
}

// isEOFMsg reports whether an encoding/xml error means the input ended
// inside a token or with elements open.
func isEOFMsg(err error) bool {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return strings.HasPrefix(se.Msg, "unexpected EOF")
	}
	return errors.Is(err, io.ErrUnexpectedEOF)
}

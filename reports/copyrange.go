package reports

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
)

// copyRangeBroken is set once the kernel cannot copy between the files
// of a report (copyRange copies through a buffer from then on).
var copyRangeBroken atomic.Bool

var errChangedInput = errors.New("an input ended early while its lines were copied: was it changed while the report read it?")

// copyThrough appends n bytes of src from off to dst through buf.
func copyThrough(dst, src *os.File, off, n int64, buf []byte) error {
	for n > 0 {
		k, err := src.ReadAt(buf[:min(int64(len(buf)), n)], off)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return werr
			}
			off, n = off+int64(k), n-int64(k)
		}
		if n > 0 && err != nil {
			if err == io.EOF {
				return errChangedInput
			}
			return err
		}
	}
	return nil
}

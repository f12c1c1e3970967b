//go:build !linux

package reports

import "os"

// copyRange appends n bytes of src from off to dst, at dst's offset.
func copyRange(dst, src *os.File, off, n int64, buf []byte) error {
	return copyThrough(dst, src, off, n, buf)
}

package reports

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// copyRange appends n bytes of src from off to dst, at dst's offset: in
// the kernel (copy_file_range, no copy through user space, a third of the
// system time of reading and writing them), else through buf.
func copyRange(dst, src *os.File, off, n int64, buf []byte) error {
	if !copyRangeBroken.Load() {
		sfd, dfd := int(src.Fd()), int(dst.Fd())
		for n > 0 {
			k, err := unix.CopyFileRange(sfd, &off, dfd, nil, int(min(n, 1<<30)), 0)
			if err == nil && k == 0 {
				return errChangedInput
			}
			if err != nil {
				if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
					continue
				}
				if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) ||
					errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBADF) {
					// Another file system, an old kernel: copy it here.
					copyRangeBroken.Store(true)
					break
				}
				return err
			}
			n -= int64(k)
		}
		if n == 0 {
			return nil
		}
	}
	return copyThrough(dst, src, off, n, buf)
}

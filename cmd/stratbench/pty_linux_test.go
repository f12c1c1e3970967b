package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: a child given tty as its stderr
// sees a terminal there (and shows its progress line), which the test
// reads from ptm.
func openPTY() (ptm, tty *os.File, err error) {
	ptm, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	// Through Control, so that ptm stays in the poller and Close ends a
	// Read.
	rc, err := ptm.SyscallConn()
	if err != nil {
		ptm.Close()
		return nil, nil, err
	}
	var n uint32
	cerr := rc.Control(func(fd uintptr) {
		n, err = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		if err == nil {
			err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0) // unlock the other end
		}
	})
	if err == nil {
		err = cerr
	}
	if err == nil {
		tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		ptm.Close()
		return nil, nil, err
	}
	return ptm, tty, nil
}

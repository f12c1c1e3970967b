package ptimer

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollSleeper sleeps in ppoll(2) on an eventfd that poke writes, with the
// thread's timer slack lowered to 1ns so that the kernel does not defer
// the wake-up by its default 50µs.
type pollSleeper struct {
	efd int
	fds []unix.PollFd
	ts  unix.Timespec
	buf [8]byte
}

// newSleeper returns the sleeper of this system: ppoll, or a Go timer if
// no eventfd can be made.
func newSleeper() sleeper {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return newGoSleeper()
	}
	return &pollSleeper{efd: efd, fds: []unix.PollFd{{Fd: int32(efd), Events: unix.POLLIN}}}
}

func (s *pollSleeper) sleep(ns int64) {
	var timeout *unix.Timespec
	if ns >= 0 {
		s.ts = unix.NsecToTimespec(ns)
		timeout = &s.ts
	}
	// The timer slack is a property of the thread, and this goroutine may
	// move between threads: set it each time (a cheap system call).
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	_, _ = unix.Ppoll(s.fds, timeout, nil) // EINTR: a spurious wake-up
	_, _ = unix.Read(s.efd, s.buf[:])      // EAGAIN when the timeout fired
}

func (s *pollSleeper) poke() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(s.efd, one[:])
}

// sleepThread sleeps the calling thread for ns nanoseconds in
// nanosleep(2), with its timer slack lowered to 1ns (set each time, 350ns:
// the goroutine may have moved to another thread). Both are raw system
// calls, which keep the goroutine's P: the Go scheduler is not told, so it
// neither hands the P to another thread nor keeps sysmon polling, which
// on the development machine (a virtual machine, where a sleep of 20µs
// costs 20µs of CPU in the kernel) cost another 13µs of CPU a sleep. The
// price is that the P is idle while the thread sleeps, so the caller
// sleeps for short spells only (Spinner: 5ms at most). An interrupted
// sleep (EINTR) returns early.
func sleepThread(ns int64) {
	_, _, _ = unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_TIMERSLACK, 1, 0, 0, 0, 0)
	ts := unix.NsecToTimespec(ns)
	_, _, _ = unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
}

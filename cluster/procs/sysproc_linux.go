package procs

import "syscall"

// childAttr returns the attributes of a supervised child: a process group
// of its own when newGroup is set, and deathSig when its parent dies.
func childAttr(newGroup bool, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: newGroup, Pdeathsig: deathSig}
}

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER, linux/prctl.h

// setChildSubreaper makes orphaned descendants of this process its
// children instead of init's, so that it can stop and reap them.
func setChildSubreaper() error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return e
	}
	return nil
}

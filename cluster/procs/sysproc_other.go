//go:build !linux

package procs

import "syscall"

// childAttr returns the attributes of a supervised child: a process group
// of its own when newGroup is set. Outside Linux there is no parent-death
// signal: a supervisor killed outright (SIGKILL) leaves its children.
func childAttr(newGroup bool, _ syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: newGroup}
}

// setChildSubreaper does nothing outside Linux.
func setChildSubreaper() error { return nil }

//go:build !linux

package sim_test

import "time"

// threadCPU is not known on this system.
func threadCPU() time.Duration { return -1 }

package sim

import "unsafe"

// prefetch asks the memory for the cache line at p without waiting for it
// (PREFETCHT0): at a million servers the engine knows which servers and
// jobs the next events will read before it reads them, and fetching them
// meanwhile overlaps cache misses that would otherwise come one after the
// other.
//
//go:noescape
func prefetch(p unsafe.Pointer)

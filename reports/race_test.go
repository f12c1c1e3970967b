//go:build race

package reports

// raceEnabled: the race detector slows chart drawing about tenfold, so
// the shared fixture report draws fewer charts under it.
const raceEnabled = true

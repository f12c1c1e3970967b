package sim

// SetLoadIndex turns the load index of jsq and sed on or off, and returns
// a function that restores the setting.
func SetLoadIndex(on bool) (restore func()) {
	prev := useLoadIndex
	useLoadIndex = on
	return func() { useLoadIndex = prev }
}

// SetPilotCap sets the pilot's cap in jobs per server and returns a
// function that restores it.
func SetPilotCap(perServer uint64) (restore func()) {
	prev := pilotJobsPerServer
	pilotJobsPerServer = perServer
	return func() { pilotJobsPerServer = prev }
}

// SetNative turns the engine's own choices for the policies it knows on or
// off (off: every choice is the policy's Pick), and returns a function
// that restores the setting.
func SetNative(on bool) (restore func()) {
	prev := useNative
	useNative = on
	return func() { useNative = prev }
}

// SetLadder sets the number of servers from which FIFO departures go in
// the ladder (0: never), and returns a function that restores it.
func SetLadder(minServers int) (restore func()) {
	prevMin, prevUse := ladderMin, useLadder
	ladderMin, useLadder = minServers, minServers > 0
	return func() { ladderMin, useLadder = prevMin, prevUse }
}

// SetIDWrap sets the modulus of the ids a job record keeps (a power of
// two), and returns a function that restores it.
func SetIDWrap(wrap uint64) (restore func()) {
	prev := idWrap
	idWrap = wrap
	return func() { idWrap = prev }
}

// SetLoadCap sets the largest load a server's state holds itself (at
// least 3; above, the load is kept aside), and returns a function that
// restores it.
func SetLoadCap(c uint16) (restore func()) {
	prev := loadCap
	loadCap = c
	return func() { loadCap = prev }
}

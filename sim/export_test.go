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

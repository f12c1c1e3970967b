package sim

// SetLoadIndex turns the load index of jsq and sed on or off, and returns
// a function that restores the setting.
func SetLoadIndex(on bool) (restore func()) {
	prev := useLoadIndex
	useLoadIndex = on
	return func() { useLoadIndex = prev }
}

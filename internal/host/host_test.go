package host

import "testing"

// TestCommitFromEnvironment: $STRATBENCH_COMMIT names the code whatever
// the build recorded (a CI run of a checkout built without VCS stamps).
func TestCommitFromEnvironment(t *testing.T) {
	t.Setenv("STRATBENCH_COMMIT", "0123456789abcdef")
	if h := Gather(); h.Commit != "0123456789abcdef" {
		t.Errorf("commit %q, want the environment's", h.Commit)
	}
}

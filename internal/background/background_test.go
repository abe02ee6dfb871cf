package background

import (
	"errors"
	"testing"
	"time"
)

// A Job runs only once asked to, once, and every wait gets its result.
func TestJob(t *testing.T) {
	tests := []struct {
		name    string
		make    func(func() error) *Job
		runsNow bool // runs without Start or Wait
	}{
		{"later", Later, false},
		{"go", Go, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := make(chan struct{}, 3)
			j := tt.make(func() error {
				runs <- struct{}{}
				return errors.New("bad medium")
			})
			if tt.runsNow {
				select {
				case <-runs:
					runs <- struct{}{} // counted below
				case <-time.After(5 * time.Second):
					t.Fatal("did not run once made")
				}
			} else {
				select {
				case <-runs:
					t.Fatal("ran before it was started")
				case <-time.After(50 * time.Millisecond):
				}
			}
			j.Start()
			j.Start()
			for range 2 {
				if err := j.Wait(); err == nil || err.Error() != "bad medium" {
					t.Errorf("Wait = %v, want bad medium", err)
				}
			}
			if n := len(runs); n != 1 {
				t.Errorf("ran %d times, want once", n)
			}
		})
	}
}

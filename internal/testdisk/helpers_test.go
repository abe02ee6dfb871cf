package testdisk

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB whose Fatal and Skip end the calling goroutine
// like the real ones, but only record the message, and whose Errorf only
// records it, so that the tests can check how the helpers fail.
type recorder struct {
	testing.TB
	fatal, skip string
	errors      []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs f with a recorder in its own goroutine, as the testing
// package runs a test, and returns what it recorded.
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

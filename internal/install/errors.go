package install

import (
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/installplan"
)

// Error is a failure with a code for the error event.
type Error struct {
	Code  errcode.Code
	Err   error
	Wrote bool // the target disk had been written to
	// Installed: the disk was installed and verified before the failure
	// (only the Secure Boot enrollment, which comes last, failed), so it
	// boots.
	Installed bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code errcode.Code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// failWritten is fail after the disk has been written to.
func failWritten(code errcode.Code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...), Wrote: true}
}

// written marks err as happening after the disk was written to.
func written(err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Wrote = true
		return err
	}
	return &Error{Code: Code(err), Err: err, Wrote: true}
}

// Code returns the error event code of err.
func Code(err error) errcode.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return installplan.Code(err)
}

// Installed reports whether err happened after the disk was installed
// and verified: only the Secure Boot keys are missing.
func Installed(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Installed
}

// Wrote reports whether err happened after the target disk was written to.
func Wrote(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Wrote
}

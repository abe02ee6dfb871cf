package sbenroll

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
)

// Enroll carries out d, which Decide made with keys: each write in
// order (db, KEK, PK) with its .auth file, after checking that the file
// is the one the plan names and that the firmware is still in Setup
// Mode; then it reads the three variables back. log is told each step.
// A d that does not enroll does nothing.
//
// A write the firmware refuses with EACCES, EPERM or EINVAL (a signature
// it does not accept: it is not really in Setup Mode) is an *Error with
// code secure-boot-not-setup-mode that says what to do in the firmware
// menu; other failures have code secure-boot-enroll.
func Enroll(vars efivar.AuthStore, keys *Keys, d Decision, log func(format string, args ...any)) error {
	if !d.Enroll {
		return nil
	}
	if vars == nil || keys == nil {
		return &Error{Code: errcode.Internal, Err: errors.New("sbenroll: enroll without UEFI variables or keys")}
	}
	st, err := efivar.ReadSecureBootState(vars)
	if err != nil {
		return &Error{Code: errcode.SecureBootEnroll, Err: fmt.Errorf("sbenroll: %w", err)}
	}
	if !st.SetupMode {
		return &Error{Code: errcode.SecureBootNotSetupMode, Err: fmt.Errorf("sbenroll: the firmware is no longer in Setup Mode, so no key was written: %s", resetHint)}
	}
	// Setup Mode means no PK; one that is there anyway would be replaced,
	// and no key is ever removed.
	if pk, err := efivar.ReadSignatureLists(vars, efivar.VarPK); err != nil || len(pk) > 0 {
		return &Error{Code: errcode.SecureBootNotSetupMode, Err: fmt.Errorf("sbenroll: SetupMode says Setup Mode, but a platform key is there (%v), so no key was written: %s", err, resetHint)}
	}
	for i, w := range d.Writes {
		f, size, sum, ok := keys.file(w.File)
		if !ok || size != w.Size || sum != w.SHA256 {
			return &Error{Code: errcode.Internal, Err: fmt.Errorf("sbenroll: %s is not the file the plan names (%d bytes, sha256 %s)", w.File, w.Size, w.SHA256)}
		}
		log("secure boot: %s %s from %s (attributes %#x): %s", verb(w), w.Variable, w.File, w.Attributes, strings.Join(w.Certificates, ", "))
		if err := vars.SetAuthenticated(w.Variable, w.Vendor, w.Attributes, f.raw); err != nil {
			return writeError(w, d.Writes[:i], err)
		}
	}
	return verifyEnrolled(vars, keys, d, log)
}

func verb(w Write) string {
	if w.Append {
		return "appending to"
	}
	return "writing"
}

// writeError explains a failed write; done are the writes before it,
// which the firmware kept.
func writeError(w Write, done []Write, err error) error {
	kept := "no key was written"
	if len(done) > 0 {
		var names []string
		for _, d := range done {
			names = append(names, d.Variable)
		}
		kept = strings.Join(names, " and ") + " had been appended to already (harmless: nothing was removed)"
	}
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		return &Error{Code: errcode.SecureBootNotSetupMode, Err: fmt.Errorf(
			"sbenroll: the firmware refused %s from %s (%w): it behaves as if it were not in Setup Mode, whatever SetupMode says; %s. To enroll the keys: %s",
			w.Variable, w.File, err, kept, resetHint)}
	}
	return &Error{Code: errcode.SecureBootEnroll, Err: fmt.Errorf("sbenroll: write %s from %s: %w; %s", w.Variable, w.File, err, kept)}
}

// verifyEnrolled reads db, KEK and PK back: each must hold every
// certificate its write added. The firmware should have left Setup Mode
// with PK; if it still says otherwise that is logged, not failed: the
// keys are in place, and the firmware's own setup shows its mode.
func verifyEnrolled(vars efivar.AuthStore, keys *Keys, d Decision, log func(string, ...any)) error {
	for _, w := range d.Writes {
		lists, err := efivar.ReadSignatureLists(vars, w.Variable)
		if err != nil {
			return &Error{Code: errcode.SecureBootEnroll, Err: fmt.Errorf("sbenroll: read %s back: %w", w.Variable, err)}
		}
		have := efivar.X509Certificates(lists)
		for _, c := range keys.auth[w.File].certs {
			if !containsDER(have, c.Raw) {
				return &Error{Code: errcode.SecureBootEnroll, Err: fmt.Errorf("sbenroll: %s was written but does not hold %s when read back", w.Variable, subject(c))}
			}
		}
	}
	st, err := efivar.ReadSecureBootState(vars)
	switch {
	case err != nil:
		log("secure boot: keys enrolled; the mode cannot be read back: %v", err)
	case st.SetupMode:
		log("secure boot: keys enrolled, but the firmware still reports Setup Mode; check Secure Boot in the firmware setup")
	default:
		log("secure boot: keys enrolled; the firmware has left Setup Mode")
	}
	return nil
}

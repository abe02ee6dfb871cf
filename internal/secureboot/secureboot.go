// Package secureboot reports a machine's Secure Boot state: what the
// firmware says (SecureBoot, SetupMode, AuditMode, DeployedMode, through
// internal/efivar) and the kernel's lockdown mode
// (/sys/kernel/security/lockdown). The installer shows it on its welcome
// screen and in the ready event; the appliance in runtime-ready and on
// its status screen.
//
// It only reads. Enrolling keys is internal/sbenroll's job, which the
// appliance does not link.
package secureboot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/plinth-os/plinth/internal/efivar"
)

// LockdownPath is where the kernel's lockdown LSM shows its mode; Plinth's
// init mounts securityfs there.
const LockdownPath = "/sys/kernel/security/lockdown"

// Status is a machine's Secure Boot state.
type Status struct {
	// UEFI: the UEFI variables could be read. Without them (legacy BIOS
	// boot, no efivarfs) nothing else here is known.
	UEFI bool
	efivar.SecureBootState
	// Lockdown is the kernel's lockdown mode: none, integrity or
	// confidentiality; "" when the kernel has no lockdown LSM.
	Lockdown string
}

// Read reads the firmware's state from vars (nil: not booted through
// UEFI) and the lockdown mode from lockdownPath. A lockdown file that
// does not exist is no lockdown LSM, not an error.
func Read(vars efivar.Store, lockdownPath string) (Status, error) {
	var st Status
	var errs []error
	if vars != nil {
		fw, err := efivar.ReadSecureBootState(vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("secureboot: %w", err))
		} else {
			st.UEFI, st.SecureBootState = true, fw
		}
	}
	lock, err := ReadLockdown(lockdownPath)
	if err != nil {
		errs = append(errs, err)
	}
	st.Lockdown = lock
	return st, errors.Join(errs...)
}

// ReadLockdown reads the lockdown mode from path ("" when it does not exist).
func ReadLockdown(path string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("secureboot: %w", err)
	}
	mode, err := ParseLockdown(string(b))
	if err != nil {
		return "", fmt.Errorf("secureboot: %s: %w", path, err)
	}
	return mode, nil
}

// ParseLockdown returns the selected mode of the lockdown file's text,
// the one in brackets: "none [integrity] confidentiality" is integrity.
func ParseLockdown(s string) (string, error) {
	for _, f := range strings.Fields(s) {
		if mode, ok := strings.CutPrefix(f, "["); ok {
			if mode, ok = strings.CutSuffix(mode, "]"); ok && mode != "" {
				return mode, nil
			}
		}
	}
	return "", fmt.Errorf("no mode in brackets in %q", strings.TrimSpace(s))
}

// Summary says in a few words whether the firmware verifies what it
// boots: "on", "off", "off, Setup Mode", "not supported by the firmware"
// or "unknown (not booted through UEFI)".
func (s Status) Summary() string {
	switch {
	case !s.UEFI:
		return "unknown (not booted through UEFI)"
	case !s.Supported:
		return "not supported by the firmware"
	case s.SecureBoot && s.DeployedMode:
		return "on, Deployed Mode"
	case s.SecureBoot:
		return "on"
	case s.AuditMode:
		return "off, Audit Mode"
	case s.SetupMode:
		return "off, Setup Mode"
	}
	return "off"
}

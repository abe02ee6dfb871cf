package sbenroll

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/guid"
)

// resetHint is what to do in the firmware menu to get back into Setup
// Mode; every refusal for want of Setup Mode ends with it.
const resetHint = "enter the firmware setup, Secure Boot → reset to Setup Mode / clear keys, then boot the installer again"

// Firmware is what the decision needs to know about the machine.
type Firmware struct {
	// UEFI: the machine booted through UEFI and its variables are there.
	UEFI  bool
	State efivar.SecureBootState
	// DBHasOurs: db holds the image's db certificate (Keys.DB).
	DBHasOurs bool
	// MokHasOurs: shim's MOK list (MokListRT) holds it: the machine
	// booted through shim after the operator enrolled our certificate
	// with MokManager, and shim verifies what it signs.
	MokHasOurs bool
	// Unreadable says why the Secure Boot variables could not be read;
	// "" when they could.
	Unreadable string
}

// ReadFirmware reads the Secure Boot state from vars (nil: not booted
// through UEFI) and whether db holds keys.DB. What cannot be read is
// recorded in Unreadable rather than returned: with secure-boot: off it
// does not matter, and Decide says what it means otherwise.
func ReadFirmware(vars efivar.Store, keys *Keys) Firmware {
	if vars == nil {
		return Firmware{}
	}
	st, err := efivar.ReadSecureBootState(vars)
	if err != nil {
		return Firmware{UEFI: true, Unreadable: err.Error()}
	}
	fw := Firmware{UEFI: true, State: st}
	if keys == nil {
		return fw
	}
	lists, err := efivar.ReadSignatureLists(vars, efivar.VarDB)
	if err != nil {
		fw.Unreadable = err.Error()
		return fw
	}
	fw.DBHasOurs = containsDER(efivar.X509Certificates(lists), keys.DB.Raw)
	// MokListRT exists only when shim started us; unreadable means absent.
	mok, _ := efivar.ReadSignatureLists(vars, efivar.VarMokListRT)
	fw.MokHasOurs = containsDER(efivar.X509Certificates(mok), keys.DB.Raw)
	return fw
}

// Request is what Decide decides from.
type Request struct {
	Policy    string // answers.SecureBootOff, ...EnrollIfSetupMode, ...Require
	Microsoft bool   // enroll Microsoft's CAs with ours
	Firmware  Firmware
	Keys      *Keys // nil: the image is unsigned
}

// Decision is what the install does about Secure Boot, as the plan shows
// it (the "secureBoot" object of installer --plan and the plan event).
type Decision struct {
	// Policy is the answers' secure-boot: off, enroll-if-setup-mode or require.
	Policy string `json:"policy"`
	// SecureBoot and SetupMode are the firmware's state when planning.
	SecureBoot bool `json:"secureBoot"`
	SetupMode  bool `json:"setupMode"`
	// Keys says whether the installer image holds Secure Boot keys.
	Keys bool `json:"keys"`
	// DBHasOurs says whether db already holds the image's db certificate.
	DBHasOurs bool `json:"dbHasOurCertificate"`
	// MokHasOurs says whether shim's MOK list holds it.
	MokHasOurs bool `json:"mokHasOurCertificate"`
	// Enroll says whether the keys are enrolled, after the disk is
	// installed and verified.
	Enroll bool `json:"enroll"`
	// MicrosoftKeys says whether Microsoft's CAs are enrolled with ours.
	MicrosoftKeys bool `json:"microsoftKeys"`
	// Writes are the variable writes of an enrollment, in order.
	Writes []Write `json:"writes,omitempty"`
	// Note says for people what is done and why, or why not.
	Note string `json:"note"`
}

// Write is one authenticated variable write of an enrollment.
type Write struct {
	Variable   string    `json:"variable"` // db, KEK or PK
	Vendor     guid.GUID `json:"vendor"`
	File       string    `json:"file"`       // in KeyDir
	Attributes uint32    `json:"attributes"` // signed with: 0x67 (append) or 0x27
	Append     bool      `json:"append"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	// Certificates are the subjects of the certificates the write adds.
	Certificates []string `json:"certificates"`
}

// Decide decides whether to enroll. It refuses (an *Error with code
// secure-boot-required) only a secure-boot: require install that the
// firmware would not verify; otherwise the Decision's Note says what is
// done and why.
func Decide(r Request) (Decision, error) {
	fw := r.Firmware
	d := Decision{Policy: r.Policy, SecureBoot: fw.State.SecureBoot, SetupMode: fw.State.SetupMode, Keys: r.Keys != nil,
		DBHasOurs: fw.DBHasOurs, MokHasOurs: fw.MokHasOurs}
	switch r.Policy {
	case answers.SecureBootOff, "":
		d.Policy = answers.SecureBootOff
		d.Note = "secure-boot: off: the firmware's keys are left as they are. " + bootWarning(r)
		return trim(d), nil
	case answers.SecureBootEnrollIfSetupMode, answers.SecureBootRequire:
	default:
		return d, &Error{Code: errcode.Internal, Err: fmt.Errorf("sbenroll: unknown secure-boot policy %q", r.Policy)}
	}
	if r.Policy == answers.SecureBootRequire && r.Keys != nil && fw.Unreadable == "" && fw.State.SecureBoot && fw.DBHasOurs {
		d.Note = "Secure Boot is on and db already holds " + subject(r.Keys.DB) + ": the firmware verifies the installed system; nothing is enrolled."
		return d, nil
	}
	if r.Keys != nil && fw.Unreadable == "" && fw.State.SecureBoot && !fw.State.SetupMode && fw.MokHasOurs {
		d.Note = "Secure Boot is on, and shim's MOK list holds " + subject(r.Keys.DB) + ": shim verifies the installed system; nothing is enrolled."
		return d, nil
	}
	if why := cannotEnroll(r); why != "" {
		if r.Policy == answers.SecureBootRequire {
			return d, &Error{Code: errcode.SecureBootRequired, Err: fmt.Errorf("sbenroll: secure-boot: require, but %s", why)}
		}
		d.Note = "The keys are not enrolled: " + why + ". " + bootWarning(r)
		return trim(d), nil
	}
	return enroll(d, r)
}

// cannotEnroll says why the keys cannot be enrolled here, or "".
func cannotEnroll(r Request) string {
	fw := r.Firmware
	switch {
	case r.Keys == nil:
		return "this installer image has no Secure Boot keys (the product was built without them)"
	case !fw.UEFI:
		return "the machine did not boot through UEFI, so its Secure Boot variables cannot be read"
	case fw.Unreadable != "":
		return "the firmware's Secure Boot variables cannot be read (" + fw.Unreadable + ")"
	case !fw.State.Supported:
		return "the firmware does not support Secure Boot"
	case fw.State.SetupMode:
		return ""
	case fw.State.SecureBoot && fw.DBHasOurs:
		return "the firmware is in User Mode, and Secure Boot is on with " + subject(r.Keys.DB) + " in db already: nothing needs enrolling"
	case fw.State.SecureBoot:
		return "Secure Boot is on, db does not hold " + subject(r.Keys.DB) + ", and the firmware is in User Mode, so no key can be added: " + resetHint
	case fw.DBHasOurs:
		return "db holds " + subject(r.Keys.DB) + " but Secure Boot is off: turn it on in the firmware setup, then boot the installer again"
	}
	return "the firmware is in User Mode (it has a platform key), so no key can be added: " + resetHint
}

// bootWarning says when the firmware will refuse to start the installed
// system as things stand.
func bootWarning(r Request) string {
	fw := r.Firmware
	if !fw.State.SecureBoot {
		return ""
	}
	if r.Keys == nil {
		return "Secure Boot is on and this image is not signed: the firmware will refuse to start the installed system; turn Secure Boot off in the firmware setup."
	}
	if !fw.DBHasOurs && !fw.MokHasOurs {
		return "Secure Boot is on and db does not hold " + subject(r.Keys.DB) + ": the firmware will refuse to start the installed system."
	}
	return ""
}

// enroll plans the writes: db, then KEK, then PK.
func enroll(d Decision, r Request) (Decision, error) {
	d.Enroll, d.MicrosoftKeys = true, r.Microsoft
	db, kek := DBAuthFile, KEKAuthFile
	if r.Microsoft {
		db, kek = DBMicrosoftAuthFile, KEKMicrosoftAuthFile
	}
	for _, w := range []struct {
		variable, file string
		append         bool
	}{{efivar.VarDB, db, true}, {efivar.VarKEK, kek, true}, {efivar.VarPK, PKAuthFile, false}} {
		f, size, sum, ok := r.Keys.file(w.file)
		if !ok {
			return d, &Error{Code: errcode.Internal, Err: fmt.Errorf("sbenroll: no %s among the loaded keys", w.file)}
		}
		vendor, _ := efivar.SecureBootVendor(w.variable)
		attrs := efivar.AttrsAuthenticated
		if w.append {
			attrs = efivar.AttrsAuthenticatedAppend
		}
		d.Writes = append(d.Writes, Write{Variable: w.variable, Vendor: vendor, File: w.file, Attributes: attrs, Append: w.append,
			Size: size, SHA256: sum, Certificates: subjects(f.certs)})
	}
	ms := "Microsoft's CAs are included."
	if !r.Microsoft {
		ms = "Microsoft's CAs are left out (microsoft-keys: false): option ROMs they signed will not start."
	}
	d.Note = "After the install, the keys are enrolled: db and KEK are appended to, then PK is written; " +
		"the firmware then leaves Setup Mode and, with Secure Boot enabled, starts only signed images. " + ms
	return d, nil
}

// trim drops a trailing space left by an empty warning.
func trim(d Decision) Decision {
	for len(d.Note) > 0 && d.Note[len(d.Note)-1] == ' ' {
		d.Note = d.Note[:len(d.Note)-1]
	}
	return d
}

func containsDER(certs [][]byte, der []byte) bool {
	for _, c := range certs {
		if string(c) == string(der) {
			return true
		}
	}
	return false
}

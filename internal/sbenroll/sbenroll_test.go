package sbenroll_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sbenroll/sbenrolltest"
)

func loadKeys(t *testing.T) (*sbenroll.Keys, sbenrolltest.Keys, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "secureboot")
	certs := sbenrolltest.WriteKeys(t, dir)
	keys, err := sbenroll.LoadKeys(dir)
	if err != nil || keys == nil {
		t.Fatalf("LoadKeys: %v, %v", keys, err)
	}
	return keys, certs, dir
}

func TestFiles(t *testing.T) {
	want := []string{"PK.auth", "KEK.auth", "KEK-microsoft.auth", "db.auth", "db-microsoft.auth", "PK.der", "KEK.der", "db.der"}
	if got := sbenroll.Files(); !slices.Equal(got, want) {
		t.Errorf("Files() = %q", got)
	}
	if sbenroll.KeyDir != "/etc/plinth/secureboot" {
		t.Errorf("KeyDir = %q", sbenroll.KeyDir)
	}
}

func TestLoadKeys(t *testing.T) {
	if k, err := sbenroll.LoadKeys(filepath.Join(t.TempDir(), "none")); k != nil || err != nil {
		t.Errorf("no directory: %v, %v; want an unsigned image", k, err)
	}
	keys, certs, _ := loadKeys(t)
	if !bytes.Equal(keys.PK.Raw, certs.PK) || !bytes.Equal(keys.KEK.Raw, certs.KEK) || !bytes.Equal(keys.DB.Raw, certs.DB) {
		t.Error("certificates not loaded")
	}

	other := sbenrolltest.Cert(t, "Someone else")
	tests := []struct {
		name   string
		change func(t *testing.T, dir string, k sbenrolltest.Keys)
		want   string
	}{
		{"a file missing", func(t *testing.T, dir string, _ sbenrolltest.Keys) {
			os.Remove(filepath.Join(dir, "KEK-microsoft.auth"))
		}, "KEK-microsoft.auth"},
		{"bad certificate", func(t *testing.T, dir string, _ sbenrolltest.Keys) { write(t, dir, "db.der", []byte("not DER")) }, "db.der"},
		{"bare list without header", func(t *testing.T, dir string, k sbenrolltest.Keys) {
			write(t, dir, "db.auth", sbenrolltest.Lists(t, k.DB))
		}, "db.auth"},
		{"db.auth without our db", func(t *testing.T, dir string, _ sbenrolltest.Keys) {
			write(t, dir, "db.auth", sbenrolltest.Auth(t, other))
		}, "db.auth does not hold Test db (Someone else)"},
		{"two platform keys", func(t *testing.T, dir string, k sbenrolltest.Keys) {
			write(t, dir, "PK.auth", sbenrolltest.Auth(t, k.PK, other))
		}, "a platform key is one"},
		{"Microsoft variant without Microsoft", func(t *testing.T, dir string, k sbenrolltest.Keys) {
			write(t, dir, "KEK-microsoft.auth", sbenrolltest.Auth(t, k.KEK))
		}, "not Microsoft's certificates"},
		{"PK of another", func(t *testing.T, dir string, _ sbenrolltest.Keys) { write(t, dir, "PK.der", other) }, "PK.auth does not hold Someone else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.change(t, dir, sbenrolltest.WriteKeys(t, dir))
			k, err := sbenroll.LoadKeys(dir)
			if k != nil || sbenroll.Code(err) != errcode.SecureBootKeys || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadKeys = %v, %v (code %q); want secure-boot-keys naming %q", k, err, sbenroll.Code(err), tt.want)
			}
		})
	}
}

func write(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Firmware states of the decision table.
var (
	setupMode = efivar.SecureBootState{Supported: true, SetupMode: true}
	userOn    = efivar.SecureBootState{Supported: true, SecureBoot: true}
	userOff   = efivar.SecureBootState{Supported: true}
)

const (
	off     = answers.SecureBootOff
	ifSetup = answers.SecureBootEnrollIfSetupMode
	require = answers.SecureBootRequire
)

// TestDecide is every combination of policy, firmware mode, keys in the
// image and our certificate already in db.
func TestDecide(t *testing.T) {
	keys, _, _ := loadKeys(t)
	tests := []struct {
		policy string
		state  efivar.SecureBootState
		keys   bool
		ours   bool
		enroll bool
		code   errcode.Code // refused with
		note   string       // in the note, or the refusal
	}{
		{off, setupMode, true, false, false, "", "secure-boot: off"},
		{off, setupMode, true, true, false, "", "secure-boot: off"},
		{off, setupMode, false, false, false, "", "secure-boot: off"},
		{off, userOn, true, true, false, "", "left as they are"},
		{off, userOn, true, false, false, "", "will refuse to start the installed system"},
		{off, userOn, false, false, false, "", "this image is not signed"},
		{off, userOff, true, true, false, "", "secure-boot: off"},
		{off, userOff, true, false, false, "", "secure-boot: off"},
		{off, userOff, false, false, false, "", "secure-boot: off"},

		{ifSetup, setupMode, true, false, true, "", "db and KEK are appended to, then PK is written"},
		{ifSetup, setupMode, true, true, true, "", "leaves Setup Mode"},
		{ifSetup, setupMode, false, false, false, "", "has no Secure Boot keys"},
		{ifSetup, userOn, true, true, false, "", "nothing needs enrolling"},
		{ifSetup, userOn, true, false, false, "", "reset to Setup Mode / clear keys"},
		{ifSetup, userOn, false, false, false, "", "this image is not signed"},
		{ifSetup, userOff, true, true, false, "", "Secure Boot is off: turn it on"},
		{ifSetup, userOff, true, false, false, "", "User Mode (it has a platform key)"},
		{ifSetup, userOff, false, false, false, "", "has no Secure Boot keys"},

		{require, setupMode, true, false, true, "", "leaves Setup Mode"},
		{require, setupMode, true, true, true, "", "leaves Setup Mode"},
		{require, setupMode, false, false, false, errcode.SecureBootRequired, "has no Secure Boot keys"},
		{require, userOn, true, true, false, "", "nothing is enrolled"},
		{require, userOn, true, false, false, errcode.SecureBootRequired, "enter the firmware setup, Secure Boot → reset to Setup Mode / clear keys, then boot the installer again"},
		{require, userOn, false, false, false, errcode.SecureBootRequired, "has no Secure Boot keys"},
		{require, userOff, true, true, false, errcode.SecureBootRequired, "Secure Boot is off: turn it on"},
		{require, userOff, true, false, false, errcode.SecureBootRequired, "reset to Setup Mode / clear keys"},
		{require, userOff, false, false, false, errcode.SecureBootRequired, "has no Secure Boot keys"},
	}
	for _, tt := range tests {
		r := sbenroll.Request{Policy: tt.policy, Microsoft: true, Firmware: sbenroll.Firmware{UEFI: true, State: tt.state, DBHasOurs: tt.ours}}
		if tt.keys {
			r.Keys = keys
		}
		d, err := sbenroll.Decide(r)
		msg := d.Note
		if err != nil {
			msg = err.Error()
		}
		if sbenroll.Code(err) != tt.code || d.Enroll != tt.enroll || !strings.Contains(msg, tt.note) {
			t.Errorf("%s, %+v, keys %v, ours %v: enroll %v, %v (code %q), note %q; want enroll %v, code %q, %q",
				tt.policy, tt.state, tt.keys, tt.ours, d.Enroll, err, sbenroll.Code(err), d.Note, tt.enroll, tt.code, tt.note)
		}
		if tt.enroll != (len(d.Writes) == 3) {
			t.Errorf("%s, %+v: %d writes", tt.policy, tt.state, len(d.Writes))
		}
	}
}

// Firmware that cannot tell: not UEFI, no Secure Boot, unreadable.
func TestDecideUnknownFirmware(t *testing.T) {
	keys, _, _ := loadKeys(t)
	tests := []struct {
		name string
		fw   sbenroll.Firmware
		note string
	}{
		{"legacy boot", sbenroll.Firmware{}, "did not boot through UEFI"},
		{"no secure boot", sbenroll.Firmware{UEFI: true}, "does not support Secure Boot"},
		{"unreadable", sbenroll.Firmware{UEFI: true, State: setupMode, Unreadable: "SetupMode holds 02"}, "cannot be read (SetupMode holds 02)"},
	}
	for _, tt := range tests {
		d, err := sbenroll.Decide(sbenroll.Request{Policy: ifSetup, Firmware: tt.fw, Keys: keys})
		if err != nil || d.Enroll || !strings.Contains(d.Note, tt.note) {
			t.Errorf("%s, enroll-if-setup-mode: %+v, %v", tt.name, d, err)
		}
		_, err = sbenroll.Decide(sbenroll.Request{Policy: require, Firmware: tt.fw, Keys: keys})
		if sbenroll.Code(err) != errcode.SecureBootRequired || !strings.Contains(err.Error(), tt.note) {
			t.Errorf("%s, require: %v", tt.name, err)
		}
		if d, err := sbenroll.Decide(sbenroll.Request{Policy: off, Firmware: tt.fw, Keys: keys}); err != nil || d.Enroll {
			t.Errorf("%s, off: %+v, %v", tt.name, d, err)
		}
	}
	if _, err := sbenroll.Decide(sbenroll.Request{Policy: "sometimes"}); sbenroll.Code(err) != errcode.Internal {
		t.Errorf("unknown policy: %v", err)
	}
}

// The writes: db, then KEK, then PK; appends for db and KEK; the
// Microsoft variants unless they are turned off.
func TestDecideWrites(t *testing.T) {
	keys, _, dir := loadKeys(t)
	fw := sbenroll.Firmware{UEFI: true, State: setupMode}
	for _, ms := range []bool{true, false} {
		d, err := sbenroll.Decide(sbenroll.Request{Policy: ifSetup, Microsoft: ms, Firmware: fw, Keys: keys})
		if err != nil || !d.Enroll || d.MicrosoftKeys != ms {
			t.Fatalf("microsoft %v: %+v, %v", ms, d, err)
		}
		db, kek, dbCerts := "db.auth", "KEK.auth", []string{"Test db"}
		if ms {
			db, kek = "db-microsoft.auth", "KEK-microsoft.auth"
			dbCerts = []string{"Test db", "Microsoft Windows Production PCA 2011", "Microsoft Corporation UEFI CA 2011"}
		}
		want := []sbenroll.Write{
			{Variable: "db", Vendor: efivar.ImageSecurityDatabase, File: db, Attributes: 0x67, Append: true, Certificates: dbCerts},
			{Variable: "KEK", Vendor: efivar.GlobalVariable, File: kek, Attributes: 0x67, Append: true},
			{Variable: "PK", Vendor: efivar.GlobalVariable, File: "PK.auth", Attributes: 0x27, Certificates: []string{"Test PK"}},
		}
		for i, w := range d.Writes {
			b, _ := os.ReadFile(filepath.Join(dir, w.File))
			if w.Variable != want[i].Variable || w.Vendor != want[i].Vendor || w.File != want[i].File || w.Attributes != want[i].Attributes ||
				w.Append != want[i].Append || w.Size != int64(len(b)) || len(w.SHA256) != 64 {
				t.Errorf("microsoft %v: write %d = %+v, want %+v", ms, i, w, want[i])
			}
			if want[i].Certificates != nil && !slices.Equal(w.Certificates, want[i].Certificates) {
				t.Errorf("microsoft %v: %s certificates %q, want %q", ms, w.Variable, w.Certificates, want[i].Certificates)
			}
		}
		if !ms && !strings.Contains(d.Note, "left out") {
			t.Errorf("note %q does not say Microsoft's CAs are left out", d.Note)
		}
	}
}

// ReadFirmware finds our certificate in db among the firmware's own.
func TestReadFirmware(t *testing.T) {
	keys, certs, _ := loadKeys(t)
	if fw := sbenroll.ReadFirmware(nil, keys); fw.UEFI {
		t.Errorf("nil store: %+v", fw)
	}
	vars := efivar.NewMemStore()
	fw := sbenrolltest.NewFirmware(t, vars, 1, 0)
	if err := vars.SetAuthenticated("db", efivar.ImageSecurityDatabase, efivar.AttrsAuthenticatedAppend,
		sbenrolltest.Auth(t, sbenrolltest.Cert(t, "Firmware vendor"), certs.DB)); err != nil {
		t.Fatal(err)
	}
	got := sbenroll.ReadFirmware(fw, keys)
	if !got.UEFI || !got.State.SecureBoot || got.State.SetupMode || !got.DBHasOurs || got.Unreadable != "" {
		t.Errorf("ReadFirmware = %+v", got)
	}
	if got := sbenroll.ReadFirmware(fw, nil); got.DBHasOurs {
		t.Errorf("without keys: %+v", got)
	}
	vars.Set("db", efivar.ImageSecurityDatabase, efivar.AttrsNVBSRT, []byte("junk"))
	if got := sbenroll.ReadFirmware(efivar.NewMemStore(), keys); got.DBHasOurs || !got.UEFI {
		t.Errorf("empty firmware: %+v", got)
	}
}

func decideSetup(t *testing.T, keys *sbenroll.Keys, ms bool) sbenroll.Decision {
	t.Helper()
	d, err := sbenroll.Decide(sbenroll.Request{Policy: ifSetup, Microsoft: ms, Firmware: sbenroll.Firmware{UEFI: true, State: setupMode}, Keys: keys})
	if err != nil || !d.Enroll {
		t.Fatalf("Decide: %+v, %v", d, err)
	}
	return d
}

// TestEnroll enrolls into firmware in Setup Mode that already has a
// db entry, on both stores: the writes are the files, in order, with
// their attributes; nothing that was there is removed; the firmware
// ends in User Mode.
func TestEnroll(t *testing.T) {
	keys, certs, dir := loadKeys(t)
	vendorCert := sbenrolltest.Cert(t, "Firmware vendor")
	stores := map[string]efivar.AuthStore{"mem": efivar.NewMemStore(), "efivarfs": efivar.NewEfivarfs(t.TempDir())}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			fw := sbenrolltest.NewFirmware(t, store, 0, 1)
			if err := store.SetAuthenticated("db", efivar.ImageSecurityDatabase, efivar.AttrsAuthenticatedAppend, sbenrolltest.Auth(t, vendorCert)); err != nil {
				t.Fatal(err)
			}
			var logged []string
			err := sbenroll.Enroll(fw, keys, decideSetup(t, keys, true), func(f string, a ...any) { logged = append(logged, f) })
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, w := range fw.Writes() {
				order = append(order, w.Name)
				file := map[string]string{"db": "db-microsoft.auth", "KEK": "KEK-microsoft.auth", "PK": "PK.auth"}[w.Name]
				if b, _ := os.ReadFile(filepath.Join(dir, file)); !bytes.Equal(w.Auth, b) {
					t.Errorf("%s: written bytes are not %s", w.Name, file)
				}
				if want := map[string]uint32{"db": 0x67, "KEK": 0x67, "PK": 0x27}[w.Name]; w.Attrs != want {
					t.Errorf("%s written with %#x, want %#x", w.Name, w.Attrs, want)
				}
			}
			if !slices.Equal(order, []string{"db", "KEK", "PK"}) {
				t.Errorf("write order %q", order)
			}
			wantCerts := map[string][][]byte{
				"db":  append([][]byte{vendorCert, certs.DB}, certs.MicrosoftDB...),
				"KEK": {certs.KEK, certs.MicrosoftKEK}, "PK": {certs.PK},
			}
			for v, want := range wantCerts {
				lists, err := efivar.ReadSignatureLists(store, v)
				if got := efivar.X509Certificates(lists); err != nil || !slices.EqualFunc(got, want, bytes.Equal) {
					t.Errorf("%s holds %d certificates (%v), want %d", v, len(got), err, len(want))
				}
			}
			if st, _ := efivar.ReadSecureBootState(store); st.SetupMode {
				t.Error("still in Setup Mode after PK")
			}
			if len(logged) != 4 {
				t.Errorf("logged %q", logged)
			}
		})
	}
}

func TestEnrollFailures(t *testing.T) {
	keys, _, _ := loadKeys(t)
	tests := []struct {
		name    string
		setup   int // SetupMode when Enroll starts; 2: 1, with a PK there all the same
		refuse  map[string]error
		tamper  bool // a key file changes after the plan
		code    errcode.Code
		msg     []string
		written []string
	}{
		{"user mode", 0, nil, false, errcode.SecureBootNotSetupMode,
			[]string{"no longer in Setup Mode", "no key was written", "enter the firmware setup, Secure Boot → reset to Setup Mode / clear keys, then boot the installer again"}, nil},
		{"db refused", 1, map[string]error{"db": syscall.EACCES}, false, errcode.SecureBootNotSetupMode,
			[]string{"refused db from db-microsoft.auth", "permission denied", "not in Setup Mode", "no key was written", "reset to Setup Mode / clear keys"}, nil},
		{"KEK not permitted", 1, map[string]error{"KEK": syscall.EPERM}, false, errcode.SecureBootNotSetupMode,
			[]string{"refused KEK", "db had been appended to already", "reset to Setup Mode / clear keys"}, []string{"db"}},
		{"PK invalid", 1, map[string]error{"PK": syscall.EINVAL}, false, errcode.SecureBootNotSetupMode,
			[]string{"refused PK", "db and KEK had been appended to already", "Setup Mode"}, []string{"db", "KEK"}},
		{"I/O error", 1, map[string]error{"KEK": syscall.EIO}, false, errcode.SecureBootEnroll,
			[]string{"write KEK from KEK-microsoft.auth", "input/output error"}, []string{"db"}},
		{"file changed after planning", 1, nil, true, errcode.Internal, []string{"not the file the plan names"}, nil},
		{"a PK despite Setup Mode", 2, nil, false, errcode.SecureBootNotSetupMode,
			[]string{"a platform key is there", "no key was written", "reset to Setup Mode / clear keys"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideSetup(t, keys, true)
			k := keys
			if tt.tamper {
				kdir := t.TempDir()
				sbenrolltest.WriteKeys(t, kdir)
				k, _ = sbenroll.LoadKeys(kdir)
			}
			fw := sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 0, min(tt.setup, 1))
			for v, e := range tt.refuse {
				fw.Refuse[v] = e
			}
			if tt.setup == 2 { // Setup Mode, and yet a PK
				fw.AuthStore.SetAuthenticated("PK", efivar.GlobalVariable, efivar.AttrsAuthenticated, sbenrolltest.Auth(t, sbenrolltest.Cert(t, "Old PK")))
			}
			err := sbenroll.Enroll(fw, k, d, t.Logf)
			if sbenroll.Code(err) != tt.code {
				t.Fatalf("err = %v (code %q), want %q", err, sbenroll.Code(err), tt.code)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
			var written []string
			for _, w := range fw.Writes() {
				written = append(written, w.Name)
			}
			if !slices.Equal(written, tt.written) {
				t.Errorf("written %q, want %q", written, tt.written)
			}
		})
	}
}

// forgetful is firmware that accepts writes and keeps nothing.
type forgetful struct{ *sbenrolltest.Firmware }

func (forgetful) SetAuthenticated(string, guid.GUID, uint32, []byte) error { return nil }

func TestEnrollReadsBack(t *testing.T) {
	keys, _, _ := loadKeys(t)
	store := efivar.NewMemStore()
	fw := sbenrolltest.NewFirmware(t, store, 0, 1)
	err := sbenroll.Enroll(forgetful{fw}, keys, decideSetup(t, keys, false), t.Logf)
	if sbenroll.Code(err) != errcode.SecureBootEnroll || !strings.Contains(err.Error(), "db was written but does not hold Test db") {
		t.Errorf("err = %v", err)
	}
	if err := sbenroll.Enroll(fw, keys, sbenroll.Decision{}, t.Logf); err != nil || len(fw.Writes()) != 0 {
		t.Errorf("a decision not to enroll wrote %v (%v)", fw.Writes(), err)
	}
	if err := sbenroll.Enroll(nil, keys, decideSetup(t, keys, false), t.Logf); sbenroll.Code(err) != errcode.Internal {
		t.Errorf("no store: %v", err)
	}
	if !errors.Is(&sbenroll.Error{Err: syscall.EIO}, syscall.EIO) {
		t.Error("Error does not unwrap")
	}
}

// Booted through shim with our certificate in its MOK list, every policy
// installs without enrolling, and the note says shim verifies; without it
// the User Mode refusal stands.
func TestDecideShimMOK(t *testing.T) {
	keys, certs, _ := loadKeys(t)
	for _, policy := range []string{off, ifSetup, require} {
		r := sbenroll.Request{Policy: policy, Keys: keys, Firmware: sbenroll.Firmware{UEFI: true, State: userOn, MokHasOurs: true}}
		d, err := sbenroll.Decide(r)
		if err != nil || d.Enroll || (policy != off && !strings.Contains(d.Note, "shim verifies")) || strings.Contains(d.Note, "will refuse") {
			t.Errorf("%s with our certificate in MokListRT: %v, %+v", policy, err, d)
		}
	}
	vars := efivar.NewMemStore()
	fw := sbenrolltest.NewFirmware(t, vars, 1, 0)
	list, err := efivar.EncodeSignatureList(efivar.SignatureList{Type: efivar.CertX509,
		Signatures: []efivar.SignatureData{{Owner: efivar.ShimLock, Data: certs.DB}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := vars.Set(efivar.VarMokListRT, efivar.ShimLock, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, list); err != nil {
		t.Fatal(err)
	}
	if got := sbenroll.ReadFirmware(fw, keys); !got.MokHasOurs || got.DBHasOurs {
		t.Errorf("ReadFirmware with MokListRT = %+v", got)
	}
}

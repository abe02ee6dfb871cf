package efivar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

// logStore records writes and deletes so tests can check their order.
type logStore struct {
	Store
	log []string
}

func (l *logStore) Set(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	l.log = append(l.log, "set "+name)
	return l.Store.Set(name, vendor, attrs, data)
}

func (l *logStore) Delete(name string, vendor guid.GUID) error {
	l.log = append(l.log, "delete "+name)
	return l.Store.Delete(name, vendor)
}

func diskPath(t testing.TB, partUUID, loader string) DevicePath {
	t.Helper()
	g, err := guid.Parse(partUUID)
	if err != nil {
		t.Fatal(err)
	}
	dp, err := DiskBootPath(GPTHardDrive(1, 2048, 204800, g), loader)
	if err != nil {
		t.Fatal(err)
	}
	return dp
}

const (
	uuidA = "11111111-2222-3333-4444-555555555555"
	uuidB = "99999999-8888-7777-6666-555555555555"
)

// firmwareEntries is what OVMF typically has before we install.
func firmwareEntries(t *testing.T, s Store) {
	t.Helper()
	for i, label := range []string{"UiApp", "UEFI QEMU DVD-ROM", "EFI Internal Shell"} {
		o := &LoadOption{Attributes: LoadOptionActive, Description: label,
			FilePaths: []DevicePath{{RawNode{TypeMedia, 0x07, make([]byte, 16)}}}}
		if err := WriteBootEntry(s, uint16(i), o); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteBootOrder(s, []uint16{1, 2, 0}); err != nil {
		t.Fatal(err)
	}
}

func labels(t *testing.T, s Store) []string {
	t.Helper()
	entries, err := ListBootEntries(s)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, fmt.Sprintf("%04X %s %s", e.Num, e.Option.Description, e.Option.Path().LoaderPath()))
	}
	return out
}

func order(t *testing.T, s Store) []uint16 {
	t.Helper()
	o, err := ReadBootOrder(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEnsureBootEntryReplacesNotDuplicates(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			firmwareEntries(t, s)
			dp := diskPath(t, uuidA, "/EFI/plinth/plinth.efi")
			n1, err := EnsureBootEntry(s, "Plinth", dp)
			if err != nil {
				t.Fatal(err)
			}
			if n1 != 3 {
				t.Errorf("first number = %d, want 3 (lowest free)", n1)
			}
			n2, err := EnsureBootEntry(s, "Plinth", dp)
			if err != nil {
				t.Fatal(err)
			}
			if n2 != n1 {
				t.Errorf("second call made Boot%04X, want reuse of Boot%04X", n2, n1)
			}
			// A reinstall: new GPT, new PARTUUID, same label and loader.
			n3, err := EnsureBootEntry(s, "Plinth", diskPath(t, uuidB, `\efi\PLINTH\plinth.EFI`))
			if err != nil {
				t.Fatal(err)
			}
			if n3 != n1 {
				t.Errorf("reinstall made Boot%04X, want reuse of Boot%04X", n3, n1)
			}
			want := []string{"0000 UiApp ", "0001 UEFI QEMU DVD-ROM ", "0002 EFI Internal Shell ", `0003 Plinth \efi\PLINTH\plinth.EFI`}
			if got := labels(t, s); !reflect.DeepEqual(got, want) {
				t.Errorf("entries = %q, want %q", got, want)
			}
			if got := order(t, s); !reflect.DeepEqual(got, []uint16{3, 1, 2, 0}) {
				t.Errorf("BootOrder = %04X, want 0003 first, once", got)
			}
			o, _ := ReadBootEntry(s, n3)
			if !strings.Contains(o.Path().String(), uuidB) {
				t.Errorf("entry not updated to the new partition: %s", o.Path())
			}
		})
	}
}

func TestEnsureBootEntryWriteOrderAndNoOp(t *testing.T) {
	s := &logStore{Store: NewMemStore()}
	firmwareEntries(t, s)
	dp := diskPath(t, uuidA, "/EFI/plinth/plinth.efi")
	s.log = nil
	if _, err := EnsureBootEntry(s, "Plinth", dp); err != nil {
		t.Fatal(err)
	}
	// The entry exists before BootOrder names it.
	if want := []string{"set Boot0003", "set BootOrder"}; !reflect.DeepEqual(s.log, want) {
		t.Errorf("writes = %q, want %q", s.log, want)
	}
	s.log = nil
	if _, err := EnsureBootEntry(s, "Plinth", dp); err != nil {
		t.Fatal(err)
	}
	if len(s.log) != 0 {
		t.Errorf("unchanged entry rewritten: %q", s.log)
	}
}

func TestEnsureBootEntryCleansOldDuplicates(t *testing.T) {
	s := &logStore{Store: NewMemStore()}
	firmwareEntries(t, s)
	// Two copies left by an older installer, and one for another loader.
	for _, n := range []uint16{5, 7} {
		o, _ := NewBootOption("Plinth", diskPath(t, uuidB, "/EFI/plinth/plinth.efi"))
		if err := WriteBootEntry(s, n, o); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := NewBootOption("Plinth", diskPath(t, uuidB, "/EFI/BOOT/BOOTX64.EFI"))
	if err := WriteBootEntry(s, 6, other); err != nil {
		t.Fatal(err)
	}
	if err := WriteBootOrder(s, []uint16{7, 1, 5, 6, 2, 0}); err != nil {
		t.Fatal(err)
	}
	s.log = nil
	n, err := EnsureBootEntry(s, "Plinth", diskPath(t, uuidA, "/EFI/plinth/plinth.efi"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("got Boot%04X, want the lowest duplicate 0005 reused", n)
	}
	if got := order(t, s); !reflect.DeepEqual(got, []uint16{5, 1, 6, 2, 0}) {
		t.Errorf("BootOrder = %04X", got)
	}
	// BootOrder drops 0007 before 0007 is deleted.
	if want := []string{"set Boot0005", "set BootOrder", "delete Boot0007"}; !reflect.DeepEqual(s.log, want) {
		t.Errorf("writes = %q, want %q", s.log, want)
	}
	if _, err := ReadBootEntry(s, 7); !errors.Is(err, ErrNotFound) {
		t.Errorf("Boot0007 still there: %v", err)
	}
	if _, err := ReadBootEntry(s, 6); err != nil {
		t.Errorf("entry with another loader was touched: %v", err)
	}
}

func TestEnsureBootEntryBadInput(t *testing.T) {
	s := NewMemStore()
	dp := diskPath(t, uuidA, "/EFI/plinth/plinth.efi")
	tests := []struct {
		label string
		dp    DevicePath
		want  string
	}{
		{"", dp, "label is empty"},
		{"Plinth", dp[:1], "no File() node"},
		{"Plinth", DevicePath{dp[0], FilePath{"EFI/x.efi"}}, `must start with \`},
		{"Plinth 🚀", dp, "outside UCS-2"},
	}
	for _, tt := range tests {
		if _, err := EnsureBootEntry(s, tt.label, tt.dp); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EnsureBootEntry(%q, %s) = %v, want %q", tt.label, tt.dp, err, tt.want)
		}
	}
	if refs, _ := s.List(); len(refs) != 0 {
		t.Errorf("bad input wrote %v", refs)
	}
}

func TestDeleteBootEntry(t *testing.T) {
	s := &logStore{Store: NewMemStore()}
	firmwareEntries(t, s)
	s.log = nil
	if err := DeleteBootEntry(s, 2); err != nil {
		t.Fatal(err)
	}
	if want := []string{"set BootOrder", "delete Boot0002"}; !reflect.DeepEqual(s.log, want) {
		t.Errorf("writes = %q, want BootOrder first: %q", s.log, want)
	}
	if got := order(t, s); !reflect.DeepEqual(got, []uint16{1, 0}) {
		t.Errorf("BootOrder = %04X", got)
	}
	if _, err := ReadBootEntry(s, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("Boot0002: %v", err)
	}
	if err := DeleteBootEntry(s, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	// A number only in BootOrder is cleaned up without error.
	WriteBootOrder(s, []uint16{9, 1, 0})
	if err := DeleteBootEntry(s, 9); err != nil {
		t.Errorf("dangling BootOrder entry: %v", err)
	}
	// Deleting the last entry of BootOrder deletes BootOrder.
	DeleteBootEntry(s, 1)
	DeleteBootEntry(s, 0)
	if _, err := ReadBootOrder(s); !errors.Is(err, ErrNotFound) {
		t.Errorf("BootOrder after deleting all: %v", err)
	}
}

func TestBootNextAndTimeout(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadBootNext(s); !errors.Is(err, ErrNotFound) {
				t.Errorf("unset BootNext: %v", err)
			}
			if err := SetBootNext(s, 0x1a); err != nil {
				t.Fatal(err)
			}
			if n, err := ReadBootNext(s); err != nil || n != 0x1a {
				t.Errorf("BootNext = %04X, %v", n, err)
			}
			if err := DeleteBootNext(s); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadBootNext(s); !errors.Is(err, ErrNotFound) {
				t.Errorf("BootNext after delete: %v", err)
			}
			if err := DeleteBootNext(s); err != nil {
				t.Errorf("deleting unset BootNext: %v", err)
			}
			if err := SetTimeout(s, 5); err != nil {
				t.Fatal(err)
			}
			if n, err := ReadTimeout(s); err != nil || n != 5 {
				t.Errorf("Timeout = %d, %v", n, err)
			}
			if err := DeleteTimeout(s); err != nil {
				t.Fatal(err)
			}
			if err := s.Set("BootCurrent", GlobalVariable, 6, []byte{2, 0}); err != nil {
				t.Fatal(err)
			}
			if n, err := ReadBootCurrent(s); err != nil || n != 2 {
				t.Errorf("BootCurrent = %d, %v", n, err)
			}
		})
	}
}

func TestCreateBootEntry(t *testing.T) {
	s := NewMemStore()
	firmwareEntries(t, s)
	WriteBootOrder(s, []uint16{1, 2, 0, 3}) // 3: dangling, must not be reused
	o, _ := NewBootOption("A", diskPath(t, uuidA, "/a.efi"))
	n, err := CreateBootEntry(s, o)
	if err != nil || n != 4 {
		t.Fatalf("CreateBootEntry = %d, %v; want 4", n, err)
	}
	if got := order(t, s); !reflect.DeepEqual(got, []uint16{4, 1, 2, 0, 3}) {
		t.Errorf("BootOrder = %04X", got)
	}
	if err := CreateBootEntryAt(s, 4, o); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateBootEntryAt existing: %v", err)
	}
	if err := CreateBootEntryAt(s, 0x10, o); err != nil {
		t.Fatal(err)
	}
	if got := order(t, s); got[0] != 0x10 {
		t.Errorf("BootOrder = %04X", got)
	}
}

func TestSetBootEntryActive(t *testing.T) {
	s := NewMemStore()
	firmwareEntries(t, s)
	// Unknown trailing data survives the attribute edit.
	_, data, _ := s.Get("Boot0001", GlobalVariable)
	data = append(data, "opaque"...)
	s.Set("Boot0001", GlobalVariable, AttrsNVBSRT, data)
	if err := SetBootEntryActive(s, 1, false); err != nil {
		t.Fatal(err)
	}
	o, _ := ReadBootEntry(s, 1)
	if o.Active() || string(o.OptionalData) != "opaque" {
		t.Errorf("after -A: %+v", o)
	}
	if err := SetBootEntryActive(s, 1, true); err != nil {
		t.Fatal(err)
	}
	if o, _ := ReadBootEntry(s, 1); !o.Active() {
		t.Error("not active again")
	}
	if err := SetBootEntryActive(s, 9, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing entry: %v", err)
	}
}

func TestBootOptionName(t *testing.T) {
	if got := BootOptionName(0xabc); got != "Boot0ABC" {
		t.Errorf("BootOptionName = %s", got)
	}
	tests := []struct {
		name string
		num  uint16
		ok   bool
	}{
		{"Boot0000", 0, true}, {"BootFFFF", 0xffff, true}, {"Boot001A", 0x1a, true},
		{"Boot001a", 0, false}, {"BootOrder", 0, false}, {"Boot00001", 0, false}, {"Driver0001", 0, false},
	}
	for _, tt := range tests {
		n, ok := ParseBootOptionName(tt.name)
		if ok != tt.ok || n != tt.num {
			t.Errorf("ParseBootOptionName(%s) = %d, %v", tt.name, n, ok)
		}
	}
}

func TestListBootEntriesKeepsUndecodable(t *testing.T) {
	s := NewMemStore()
	// Valid for the kernel, not for our decoder (HD node of wrong size).
	bad := []byte{1, 0, 0, 0, 10, 0, 'x', 0, 0, 0, 4, 1, 6, 0, 0, 0, 0x7f, 0xff, 4, 0}
	if err := s.Set("Boot0000", GlobalVariable, AttrsNVBSRT, bad); err != nil {
		t.Fatal(err)
	}
	entries, err := ListBootEntries(s)
	if err != nil || len(entries) != 1 || entries[0].Err == nil || entries[0].Option != nil {
		t.Fatalf("entries = %+v, %v", entries, err)
	}
	n, err := FreeBootNumber(s)
	if err != nil || n != 1 {
		t.Errorf("FreeBootNumber = %d, %v; want 1", n, err)
	}
	if !slices.Equal(moveToFront([]uint16{1, 2, 1, 3}, 1, []uint16{3}), []uint16{1, 2}) {
		t.Error("moveToFront")
	}
}

// Firmware refuses to change a variable's attributes in place, so an old
// entry with other attributes is deleted and written anew.
func TestEnsureBootEntryFixesAttributes(t *testing.T) {
	s := &logStore{Store: NewMemStore()}
	dp := diskPath(t, uuidA, "/EFI/plinth/plinth.efi")
	o, _ := NewBootOption("Plinth", dp)
	data, _ := EncodeLoadOption(o)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Set("Boot0004", GlobalVariable, AttrBootServiceAccess|AttrRuntimeAccess, data))
	s.log = nil
	n, err := EnsureBootEntry(s, "Plinth", dp)
	must(err)
	if n != 4 {
		t.Errorf("got Boot%04X, want 0004 reused", n)
	}
	if attrs, _, _ := s.Get("Boot0004", GlobalVariable); attrs != AttrsNVBSRT {
		t.Errorf("attributes %#x, want NV|BS|RT", attrs)
	}
	if want := []string{"delete Boot0004", "set Boot0004", "set BootOrder"}; !reflect.DeepEqual(s.log, want) {
		t.Errorf("writes = %q, want %q", s.log, want)
	}
}

// Some Apple firmware reports attribute bit 31; it must not be written
// back (the kernel would say EINVAL).
func TestSetBootEntryActiveMasksAttributes(t *testing.T) {
	dir := t.TempDir()
	raw := append([]byte{0x07, 0, 0, 0x80}, loadOptionVector...)
	if err := os.WriteFile(filepath.Join(dir, "Boot0001-"+GlobalVariable.String()), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewEfivarfs(dir)
	if err := SetBootEntryActive(s, 1, false); err != nil {
		t.Fatal(err)
	}
	attrs, data, err := s.Get("Boot0001", GlobalVariable)
	if err != nil || attrs != AttrsNVBSRT || data[0] != 0 {
		t.Errorf("attrs %#x data[0] %#x err %v", attrs, data[0], err)
	}
}

// EnsureBootOption rewrites the entry when only its optional data (shim's
// second stage) changes, and leaves it alone when nothing does.
func TestEnsureBootOptionOptionalData(t *testing.T) {
	s := &logStore{Store: NewMemStore()}
	firmwareEntries(t, s)
	o, err := NewBootOption("Plinth", diskPath(t, uuidA, "/EFI/plinth/shimx64.efi"))
	if err != nil {
		t.Fatal(err)
	}
	o.OptionalData, _ = EncodeUCS2(`\EFI\plinth\a.efi`)
	n, err := EnsureBootOption(s, o)
	if err != nil {
		t.Fatal(err)
	}
	s.log = nil
	o.OptionalData, _ = EncodeUCS2(`\EFI\plinth\b.efi`)
	if m, err := EnsureBootOption(s, o); err != nil || m != n {
		t.Fatalf("second stage changed: Boot%04X, %v; want Boot%04X rewritten", m, err, n)
	}
	if want := []string{fmt.Sprintf("set Boot%04X", n)}; !reflect.DeepEqual(s.log, want) {
		t.Errorf("writes %q, want %q", s.log, want)
	}
	got, _ := ReadBootEntry(s, n)
	if DecodeUCS2(got.OptionalData) != `\EFI\plinth\b.efi` {
		t.Errorf("optional data %q", got.OptionalData)
	}
	s.log = nil
	if _, err := EnsureBootOption(s, o); err != nil || len(s.log) != 0 {
		t.Errorf("unchanged option: %v, writes %q", err, s.log)
	}
}

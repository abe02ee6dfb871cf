package efivar

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

// stores returns each Store implementation, fresh, for table tests.
func stores(t *testing.T) map[string]Store {
	return map[string]Store{
		"mem":      NewMemStore(),
		"efivarfs": NewEfivarfs(t.TempDir()),
	}
}

func TestStoreBasics(t *testing.T) {
	vendor, _ := guid.Parse("4a67b082-0a4c-41cf-b6c7-440b29bb8c4f")
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if _, _, err := s.Get("Nope", GlobalVariable); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get missing: %v", err)
			}
			if err := s.Delete("Nope", GlobalVariable); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete missing: %v", err)
			}
			if err := s.Set("LoaderInfo", vendor, 0x6, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := s.Set("Timeout", GlobalVariable, AttrsNVBSRT, []byte{5, 0}); err != nil {
				t.Fatal(err)
			}
			if err := s.Set("Timeout", GlobalVariable, AttrsNVBSRT, []byte{3, 0}); err != nil {
				t.Fatal(err)
			}
			attrs, data, err := s.Get("Timeout", GlobalVariable)
			if err != nil || attrs != AttrsNVBSRT || !bytes.Equal(data, []byte{3, 0}) {
				t.Errorf("Get = %#x %x %v", attrs, data, err)
			}
			refs, err := s.List()
			want := []VarRef{{"LoaderInfo", vendor}, {"Timeout", GlobalVariable}}
			if err != nil || !reflect.DeepEqual(refs, want) {
				t.Errorf("List = %v %v, want %v", refs, err, want)
			}
			if err := s.Delete("Timeout", GlobalVariable); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Get("Timeout", GlobalVariable); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: %v", err)
			}
		})
	}
}

// The kernel rejects malformed writes of well-known variables; both stores
// do too, with a reason.
func TestStoreValidation(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"Timeout", []byte{1}, "must be 2 bytes"},
		{"BootNext", []byte{1, 0, 0}, "must be 2 bytes"},
		{"BootOrder", []byte{1, 0, 0}, "list of UINT16"},
		{"Boot0001", []byte{1, 0, 0, 0, 4, 0, 0}, "shorter than 8"},
		{"Boot0001", []byte{1, 0, 0, 0, 4, 0, 'a', 0}, "no NUL"},
		{"Boot0001", []byte{1, 0, 0, 0, 9, 0, 0, 0, 0x7f, 0xff, 4, 0}, "runs past the end"},
		{"Boot0001", []byte{1, 0, 0, 0, 4, 0, 0, 0, 0x7f, 0x01, 4, 0}, "no End node"},
		{"Boot0001", nil, "empty data"},
		{"Bad/Name", []byte{1}, "bad variable name"},
	}
	for name, s := range stores(t) {
		for _, tt := range tests {
			err := s.Set(tt.name, GlobalVariable, AttrsNVBSRT, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: Set(%s, %x) = %v, want %q", name, tt.name, tt.data, err, tt.want)
			}
		}
		// Valid ones pass; a non-global GUID is not checked.
		if err := s.Set("Boot0001", GlobalVariable, AttrsNVBSRT, loadOptionVector); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := s.Set("Timeout", guid.GUID{1}, AttrsNVBSRT, []byte{1}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEfivarfsFileFormat(t *testing.T) {
	dir := t.TempDir()
	s := NewEfivarfs(dir)
	if err := s.Set("BootNext", GlobalVariable, AttrsNVBSRT, []byte{0x03, 0x00}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "BootNext-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
	if err != nil {
		t.Fatal(err)
	}
	// 4 bytes of attributes, little-endian, then the data.
	if want := []byte{0x07, 0x00, 0x00, 0x00, 0x03, 0x00}; !bytes.Equal(b, want) {
		t.Errorf("file = % x, want % x", b, want)
	}
	// A shorter value replaces the whole variable, as on efivarfs.
	if err := s.Set("BootOrder", GlobalVariable, AttrsNVBSRT, []byte{1, 0, 2, 0, 3, 0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("BootOrder", GlobalVariable, AttrsNVBSRT, []byte{4, 0}); err != nil {
		t.Fatal(err)
	}
	if _, data, err := s.Get("BootOrder", GlobalVariable); err != nil || !bytes.Equal(data, []byte{4, 0}) {
		t.Errorf("after shorter write: %x, %v", data, err)
	}
}

func TestEfivarfsListSkips(t *testing.T) {
	dir := t.TempDir()
	s := NewEfivarfs(dir)
	if err := s.Set("BootOrder", GlobalVariable, AttrsNVBSRT, []byte{1, 0}); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"Empty-8be4df61-93ca-11d2-aa0d-00e098032b8c": "", // created, never written
		"Junk": "1234",
		"Bad-zzzzzzzz-93ca-11d2-aa0d-00e098032b8c": "1234",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "Dir-8be4df61-93ca-11d2-aa0d-00e098032b8c"), 0o755)
	refs, err := s.List()
	if err != nil || !reflect.DeepEqual(refs, []VarRef{{"BootOrder", GlobalVariable}}) {
		t.Errorf("List = %v, %v", refs, err)
	}
	if _, _, err := s.Get("Empty", GlobalVariable); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of empty file: %v", err)
	}
	if _, err := NewEfivarfs(filepath.Join(dir, "missing")).List(); err == nil {
		t.Error("List of missing dir succeeded")
	}
}

func TestOpenEfivarfsErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := openEfivarfs(filepath.Join(dir, "no-efi"), filepath.Join(dir, "no-efi/efivars"))
	if err == nil || !strings.Contains(err.Error(), "not booted in UEFI mode") {
		t.Errorf("no /sys/firmware/efi: %v", err)
	}
	// A directory that exists but is not efivarfs (here: the test's own
	// file system) gets the mount command.
	vars := filepath.Join(dir, "efivars")
	os.Mkdir(vars, 0o755)
	_, err = openEfivarfs(dir, vars)
	if err == nil || !strings.Contains(err.Error(), "mount -t efivarfs efivarfs "+vars) {
		t.Errorf("not efivarfs: %v", err)
	}
	_, err = openEfivarfs(dir, filepath.Join(dir, "missing"))
	if err == nil || !strings.Contains(err.Error(), "mount -t efivarfs") {
		t.Errorf("missing mount point: %v", err)
	}
}

func TestStoreAttributes(t *testing.T) {
	for name, s := range stores(t) {
		for _, tt := range []struct {
			attrs uint32
			want  string
		}{
			{0x80000007, "invalid attributes"},
			{AttrsNVBSRT | AttrAppendWrite, "append writes"},
		} {
			if err := s.Set("X", guid.GUID{1}, tt.attrs, []byte{1}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: attrs %#x: %v, want %q", name, tt.attrs, err, tt.want)
			}
		}
	}
	m := NewMemStore()
	if err := m.Set("X", guid.GUID{1}, AttrsNVBSRT, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("X", guid.GUID{1}, AttrBootServiceAccess, []byte{1}); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("MemStore attribute change: %v", err)
	}
}

package efivar

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// chattr sets or clears FS_IMMUTABLE_FL like chattr(1), or skips the test
// where the file system or our privileges do not allow it.
func chattr(t *testing.T, path string, immutable bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("no inode flags here: %v", err)
	}
	if immutable {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		t.Skipf("cannot set the immutable flag (needs CAP_LINUX_IMMUTABLE): %v", err)
	}
}

func isImmutable(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Fatal(err)
	}
	return flags&fsImmutableFL != 0
}

// TestImmutableVariable does on a real file system what efivarfs needs:
// the flag is cleared for the write and set again afterwards, and cleared
// for the delete.
func TestImmutableVariable(t *testing.T) {
	dir := t.TempDir()
	s := NewEfivarfs(dir)
	if err := s.Set("Timeout", GlobalVariable, AttrsNVBSRT, []byte{5, 0}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "Timeout-"+GlobalVariable.String())
	chattr(t, p, true)
	t.Cleanup(func() {
		if _, err := os.Stat(p); err == nil {
			chattr(t, p, false) // let t.TempDir clean up
		}
	})
	if err := os.WriteFile(p, []byte{7, 0, 0, 0, 1, 0}, 0o644); err == nil {
		t.Fatal("immutable flag does not stop writes here; test is meaningless")
	}

	if err := s.Set("Timeout", GlobalVariable, AttrsNVBSRT, []byte{9, 0}); err != nil {
		t.Fatalf("Set on immutable file: %v", err)
	}
	if _, data, _ := s.Get("Timeout", GlobalVariable); !bytes.Equal(data, []byte{9, 0}) {
		t.Errorf("data = %x", data)
	}
	if !isImmutable(t, p) {
		t.Error("immutable flag not restored after Set")
	}
	if err := s.Delete("Timeout", GlobalVariable); err != nil {
		t.Fatalf("Delete of immutable file: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
}

// TestImmutableKeyDatabase appends to a db whose file is immutable, as
// efivarfs makes PK, KEK and db: the flag is cleared for the write and
// set again afterwards.
func TestImmutableKeyDatabase(t *testing.T) {
	dir := t.TempDir()
	s := NewEfivarfs(dir)
	first := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("one")}}})
	second := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("two")}}})
	if err := s.SetAuthenticated("db", ImageSecurityDatabase, AttrsAuthenticatedAppend, authBlob(first)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "db-"+ImageSecurityDatabase.String())
	chattr(t, p, true)
	t.Cleanup(func() { chattr(t, p, false) })
	if err := s.SetAuthenticated("db", ImageSecurityDatabase, AttrsAuthenticatedAppend, authBlob(second)); err != nil {
		t.Fatalf("append to immutable db: %v", err)
	}
	if _, data, _ := s.Get("db", ImageSecurityDatabase); !bytes.Equal(data, append(first, second...)) {
		t.Errorf("db = % x", data)
	}
	if !isImmutable(t, p) {
		t.Error("immutable flag not restored after SetAuthenticated")
	}
}

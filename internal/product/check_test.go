package product

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildStatic builds a static x86-64 Go program into dir/name.
func buildStatic(t *testing.T, dir, name string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("product: the go command is needed to build a static test binary: %v", err)
	}
	src := t.TempDir()
	write(t, filepath.Join(src, "go.mod"), "module example.com/static\n\ngo 1.21\n")
	write(t, filepath.Join(src, "main.go"), "package main\n\nfunc main() {}\n")
	out := filepath.Join(dir, name)
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, string(b))
}

// patch rewrites the file at path with edit applied to its bytes.
func patch(t *testing.T, path string, edit func(b []byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(b)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// dropInterp turns a dynamic executable's PT_INTERP program header into
// PT_NULL, leaving an ELF whose only sign of dynamic linking is its
// DT_NEEDED entries.
func dropInterp(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	i := -1
	for j, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("%s has no PT_INTERP to drop", path)
	}
	patch(t, path, func(b []byte) {
		// Elf64_Ehdr: e_phoff at 32 (8 bytes), e_phentsize at 54 (2 bytes);
		// p_type is the first field of a program header.
		off := binary.LittleEndian.Uint64(b[32:]) + uint64(i)*uint64(binary.LittleEndian.Uint16(b[54:]))
		binary.LittleEndian.PutUint32(b[off:], uint32(elf.PT_NULL))
	})
}

func TestCheckDocExample(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), string(docExample(t)))
	if err := os.Mkdir(filepath.Join(dir, "brand"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cmd/acmedb"), 0o755); err != nil {
		t.Fatal(err)
	}
	buildStatic(t, filepath.Join(dir, "bin"), "acme-backup")
	write(t, filepath.Join(dir, "bin/acmectl"), "any file\n")
	write(t, filepath.Join(dir, "config/acme.conf"), "port = 5432\n")
	write(t, filepath.Join(dir, "certs/updates-ca.pem"), string(caPEM(t, "Acme CA")))
	p, err := Load(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Name != "Acme DB" {
		t.Errorf("Load: name %q", p.Name)
	}
	// Without the files, Check names each.
	for _, rm := range []string{"brand", "cmd", "bin/acme-backup", "config/acme.conf", "certs"} {
		if err := os.RemoveAll(filepath.Join(dir, rm)); err != nil {
			t.Fatal(err)
		}
	}
	err = p.Check(dir)
	for _, want := range []string{`field "product.brand": brand does not exist`, `field "services[0].go": ./cmd/acmedb does not exist`, `field "services[1].file": bin/acme-backup does not exist`, `field "files[1].from": config/acme.conf does not exist`, `field "updates.ca": certs/updates-ca.pem does not exist`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check without the files = %v, want it to say %q", err, want)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	static := buildStatic(t, bin, "static")
	copyFile(t, "/bin/true", filepath.Join(bin, "dynamic"))
	copyFile(t, "/bin/true", filepath.Join(bin, "needs"))
	dropInterp(t, filepath.Join(bin, "needs"))
	copyFile(t, static, filepath.Join(bin, "arm"))
	patch(t, filepath.Join(bin, "arm"), func(b []byte) { binary.LittleEndian.PutUint16(b[18:], uint16(elf.EM_AARCH64)) })
	write(t, filepath.Join(bin, "script"), "#!/bin/sh\nexec sleep 1\n")
	write(t, filepath.Join(bin, "text"), "MZ")
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "brand"), "not a directory\n")

	src := y("product:", "  name: Acme", "  brand: brand",
		"services:",
		"  - {name: ok, file: bin/static}",
		"  - {name: dynamic, file: bin/dynamic}",
		"  - {name: needs, file: bin/needs}",
		"  - {name: arm, file: bin/arm}",
		"  - {name: script, file: bin/script}",
		"  - {name: text, file: bin/text}",
		"  - {name: missing, file: bin/missing}",
		"  - {name: dir, file: conf.d}",
		"  - {name: gofile, go: ./bin/static}",
		"  - {name: remote, go: example.com/acme/cmd/x}",
		"files:",
		"  - {path: /etc/a, from: conf.d}",
		"  - {path: /etc/b, from: bin/static}",
		"  - {path: /etc/c, from: none.conf}")
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		field string
		msg   string
	}{
		{3, "product.brand", "brand is not a directory"},
		{6, "services[1].file", "bin/dynamic is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2): the runtime image has no dynamic loader or shared libraries: link it statically (CGO_ENABLED=0 go build"},
		{7, "services[2].file", "bin/needs needs shared libraries (libc.so.6)"},
		{8, "services[3].file", "bin/arm is built for EM_AARCH64 (ELFCLASS64), not x86-64"},
		{9, "services[4].file", "bin/script is a script, and the runtime image has no shell"},
		{10, "services[5].file", "bin/text is not an ELF executable"},
		{11, "services[6].file", "bin/missing does not exist: create it, or fix the path (relative to plinth.yaml)"},
		{12, "services[7].file", "conf.d is not a regular file"},
		{13, "services[8].go", "bin/static is not a directory: go: names a package's directory"},
		{16, "files[0].from", "conf.d is not a regular file"},
		{18, "files[2].from", "none.conf does not exist"},
	}
	err = p.Check(dir)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Check = %v, want joined errors", err)
	}
	errs := joined.Unwrap()
	if len(errs) != len(want) {
		t.Errorf("Check found %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i := range min(len(errs), len(want)) {
		var pe *ParseError
		if !errors.As(errs[i], &pe) {
			t.Errorf("problem %d is a %T, want *ParseError: %v", i, errs[i], errs[i])
			continue
		}
		w := want[i]
		if pe.Line != w.line || pe.Field != w.field || !strings.Contains(pe.Message, w.msg) {
			t.Errorf("problem %d = %v\nwant line %d field %q saying %q", i, pe, w.line, w.field, w.msg)
		}
	}
}

func TestSecureBootKeys(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "keys"), 0o700)
	for _, tc := range []struct {
		yaml, keys, err string
	}{
		{"secure-boot:\n  keys: keys\n", "keys", ""},
		{"secure-boot:\n  keys: " + dir + "/keys\n", dir + "/keys", ""},
		{"secure-boot:\n  keys: nope\n", "", `field "secure-boot.keys": nope does not exist`},
		{"secure-boot: {}\n", "", `"secure-boot.keys"`},
		{"secure-boot:\n  keys: k\n  shim: yes\n", "", `"secure-boot.shim": want true or false`},
		{"secure-boot:\n  keys: keys\n  shim: true\n", "keys", ""},
		{"secure-boot:\n  keys: k\n  mok: true\n", "", "unknown key"},
	} {
		p, err := Parse([]byte("product: {name: A}\n" + tc.yaml))
		if err == nil {
			err = p.Check(dir)
		}
		switch {
		case tc.err == "" && (err != nil || p.SecureBoot.Keys != tc.keys || p.SecureBoot.Shim != strings.Contains(tc.yaml, "shim: true")):
			t.Errorf("%q: keys %q, %v; want %q", tc.yaml, p.SecureBoot.Keys, err, tc.keys)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.err)
		}
	}
}

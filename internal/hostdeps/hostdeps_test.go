package hostdeps_test

import (
	"os/exec"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/hostdeps"
	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		want       []hostdeps.Package
		wantErr    string
	}{
		{
			name: "packages with and without commands",
			text: "# comment\n\ngdisk: sgdisk\nlibelf-dev:\nmtools:  mcopy\tmdir \n",
			want: []hostdeps.Package{
				{Name: "gdisk", Commands: []string{"sgdisk"}},
				{Name: "libelf-dev"},
				{Name: "mtools", Commands: []string{"mcopy", "mdir"}},
			},
		},
		{name: "empty", text: "", want: nil},
		{name: "no colon", text: "gdisk sgdisk\n", wantErr: "line 1"},
		{name: "indented package", text: "ok: a\n  gdisk: sgdisk\n", wantErr: "line 2"},
		{name: "upper case name", text: "Gdisk: sgdisk\n", wantErr: "not a Debian package name"},
		{name: "path as command", text: "gdisk: /usr/sbin/sgdisk\n", wantErr: "bare program name"},
		{name: "package twice", text: "gdisk: sgdisk\ngdisk: gdisk\n", wantErr: "package gdisk listed twice"},
		{name: "command twice", text: "mount: losetup\nutil-linux: losetup\n", wantErr: "already listed for package mount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := hostdeps.Parse(tc.text)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse: err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCommandPackage(t *testing.T) {
	tests := []struct {
		cmd, pkg string
		ok       bool
	}{
		{"sgdisk", "gdisk", true},
		{"isoinfo", "genisoimage", true},
		{"losetup", "mount", true},
		{"mkfs.xfs", "xfsprogs", true},
		{"qemu-system-x86_64", "qemu-system-x86", true},
		{"ovmf", "", false}, // a package without commands is not a command
		{"sh", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		pkg, ok := hostdeps.CommandPackage(tc.cmd)
		if pkg != tc.pkg || ok != tc.ok {
			t.Errorf("CommandPackage(%q) = %q, %v; want %q, %v", tc.cmd, pkg, ok, tc.pkg, tc.ok)
		}
	}
}

// TestMakefileReadsTheList checks that `make deps` installs exactly the
// packages of the list, in its order.
func TestMakefileReadsTheList(t *testing.T) {
	out := testdisk.Run(t, testdisk.Tool(t, "make"), "-s", "--no-print-directory", "-C", "../..", "packages")
	var want []string
	for _, p := range hostdeps.Packages() {
		want = append(want, p.Name)
	}
	if got := strings.Fields(out); !slices.Equal(got, want) {
		t.Errorf("make packages = %v\nwant %v", got, want)
	}
}

// TestInstalledPackagesProvideTheCommands checks the list against the
// host's package database: every package is installed (make test runs
// make deps first) and owns a bin/ or sbin/ file for each of its commands.
func TestInstalledPackagesProvideTheCommands(t *testing.T) {
	pkgs := hostdeps.Packages()
	var names, patterns []string
	for _, p := range pkgs {
		names = append(names, p.Name)
		for _, c := range p.Commands {
			patterns = append(patterns, "bin/"+c)
		}
	}
	status := testdisk.Run(t, testdisk.Tool(t, "dpkg-query"), append([]string{"-W", "-f", "${Package} ${db:Status-Status}\n"}, names...)...)
	installed := map[string]bool{}
	for _, line := range strings.Split(status, "\n") {
		if name, st, ok := strings.Cut(line, " "); ok && st == "installed" {
			installed[name] = true
		}
	}
	// dpkg -S exits non-zero when a pattern has no match; the
	// per-command check below says which.
	out, _ := exec.Command(testdisk.Tool(t, "dpkg"), append([]string{"-S"}, patterns...)...).Output()
	owners := binaryOwners(string(out))
	for _, p := range pkgs {
		if !installed[p.Name] {
			t.Errorf("package %s is not installed: apt-get install %s (or make deps)", p.Name, p.Name)
			continue
		}
		for _, c := range p.Commands {
			if !slices.Contains(owners[c], p.Name) {
				t.Errorf("command %s: packages.txt says %s, the package database says %v", c, p.Name, owners[c])
			}
		}
	}
}

// binaryOwners reads `dpkg -S` output ("pkg1, pkg2: /path" per line) into
// the packages owning each program in a bin or sbin directory.
func binaryOwners(out string) map[string][]string {
	owners := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		pkgs, file, ok := strings.Cut(line, ": ")
		if !ok || strings.HasPrefix(line, "diversion ") {
			continue
		}
		if dir := path.Base(path.Dir(file)); dir != "bin" && dir != "sbin" {
			continue
		}
		for _, p := range strings.Split(pkgs, ", ") {
			p, _, _ = strings.Cut(p, ":") // an architecture qualifier
			owners[path.Base(file)] = append(owners[path.Base(file)], p)
		}
	}
	return owners
}

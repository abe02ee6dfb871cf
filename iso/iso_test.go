package iso

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/testdisk"
)

var testModTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// bootx64 is the dummy loader stored in test FAT images.
var bootx64 = []byte("MZ plinth test BOOTX64.EFI\n")

// run runs an external tool from the package list and returns its output.
// The tests drive real external tools on purpose: they are the reference
// for what firmware, Linux and Windows will accept.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return testdisk.Run(t, testdisk.Tool(t, name), args...)
}

// makeFAT builds a FAT image of sizeKiB holding \EFI\BOOT\BOOTX64.EFI with
// host tools (the product uses internal/vfat; the tests must not).
func makeFAT(t testing.TB, sizeKiB int) []byte {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "efiboot.img")
	src := filepath.Join(dir, "BOOTX64.EFI")
	if err := os.WriteFile(src, bootx64, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "mkfs.vfat", "-C", "-i", "504c4e54", "-n", "PLINTHEFI", img, strconv.Itoa(sizeKiB))
	run(t, "mmd", "-i", img, "::/EFI", "::/EFI/BOOT")
	run(t, "mcopy", "-i", img, src, "::/EFI/BOOT/BOOTX64.EFI")
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reportLines returns the fields after ':' of every xorriso report line
// whose label is key.
func reportLines(report, key string) [][]string {
	var res [][]string
	for _, l := range strings.Split(report, "\n") {
		label, rest, ok := strings.Cut(l, ":")
		if ok && strings.TrimSpace(label) == key {
			res = append(res, strings.Fields(rest))
		}
	}
	return res
}

func oneReportLine(t *testing.T, report, key string) []string {
	t.Helper()
	l := reportLines(report, key)
	if len(l) != 1 {
		t.Fatalf("xorriso report: want exactly one %q line, got %d:\n%s", key, len(l), report)
	}
	return l[0]
}

func xorrisoReport(t *testing.T, iso string) string {
	t.Helper()
	return run(t, "xorriso", "-indev", iso, "-report_el_torito", "plain", "-report_system_area", "plain")
}

func TestWrite(t *testing.T) {
	small := makeFAT(t, 2880)
	// 40 MiB = 81920 sectors: too many for El Torito's 16-bit count.
	large := makeFAT(t, 40*1024)
	long := strings.Repeat("L", 200) + ".txt"
	// Longer than one Rock Ridge NM entry holds (250 bytes).
	longest := strings.Repeat("N", 251) + ".txt"
	// Directory records, Continuation Areas and Joliet records that take
	// several blocks.
	many, manyJoliet := map[string][]byte{}, map[string][]byte{"/README.TXT": []byte("readme")}
	for i := range 40 {
		many[fmt.Sprintf("/many/%s%02d.txt", strings.Repeat("m", 150), i)] = []byte{byte(i)}
		manyJoliet[fmt.Sprintf("/jol/%s%02d.cfg", strings.Repeat("j", 56), i)] = []byte{byte(i), 'j'}
	}

	tests := []struct {
		name   string
		img    []byte
		joliet bool
		files  map[string][]byte
	}{
		{name: "minimal", img: small},
		{name: "files", img: small, files: map[string][]byte{
			"/plinth/manifest.json":     []byte(`{"version":1}` + "\n"),
			"/Zeta.TXT":                 []byte("zeta"),
			"/alpha.txt":                []byte("alpha"),
			"/a/b/c/d/e/f/g/deep.txt":   []byte("deep"),
			"/long/" + long:             []byte("long name needs a SUSP continuation area"),
			"/empty":                    {},
			"/efi":                      {}, // empty, shares efiboot.img's extent
			"/plinth/blob.bin":          bytes.Repeat([]byte{0xA5}, 5000),
			"/names/with space & ü.cfg": []byte("utf-8"),
			"/ALPHA.TXT":                []byte("same ISO 9660 name as alpha.txt"),
			"/long/" + longest:          []byte("two NM entries"),
		}},
		{name: "joliet", img: small, joliet: true, files: map[string][]byte{
			"/plinth/manifest.json":       []byte(`{"version":1}` + "\n"),
			"/plinth/sub/Mixed Case.Name": []byte("joliet"),
			"/README.TXT":                 []byte("readme"),
		}},
		{name: "large-efi", img: large, files: map[string][]byte{"/x": []byte("x")}},
		{name: "many", img: small, files: many},
		{name: "many-joliet", img: small, joliet: true, files: manyJoliet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "plinth.iso")
			size, err := Write(out, Options{VolumeID: "PLINTH", EFIBootImage: tc.img, Files: tc.files, ModTime: testModTime, Joliet: tc.joliet})
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != size || size%blockSize != 0 {
				t.Fatalf("Write returned %d, file has %d bytes; want equal and a multiple of %d", size, len(data), blockSize)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
			}
			esp := checkGPT(t, data, tc.img)
			checkVolumeDescriptors(t, out, data, tc.joliet)
			checkXorrisoReports(t, out, size, esp, tc.img)
			checkSgdisk(t, out, esp)
			checkESPContent(t, data, esp, tc.img)
			checkISOContent(t, out, data, tc.files, tc.img)
			checkPlainNames(t, out)
			if tc.joliet {
				checkJoliet(t, out, tc.files)
			} else if d := run(t, "isoinfo", "-d", "-i", out); !strings.Contains(d, "NO Joliet present") {
				t.Errorf("Joliet present although not requested:\n%s", d)
			}
		})
	}
}

// checkGPT reads the hybrid GPT with the project's GPT codec and returns
// the ESP.
func checkGPT(t *testing.T, data, img []byte) gpt.Partition {
	t.Helper()
	g, err := gpt.Read(bytes.NewReader(data), int64(len(data)), 512)
	if err != nil {
		t.Fatalf("gpt.Read: %v", err)
	}
	if g.FromBackup || g.Sectors != uint64(len(data)/512) {
		t.Errorf("GPT from backup %v, %d sectors; want primary, %d sectors", g.FromBackup, g.Sectors, len(data)/512)
	}
	if len(g.Partitions) != 1 {
		t.Fatalf("GPT partitions %+v, want exactly one", g.Partitions)
	}
	p := g.Partitions[0]
	if p.Number != 1 || p.Type != gpt.TypeESP || p.Name != espName || p.Attributes != espAttributes || p.Sectors()*512 != uint64(len(img)) {
		t.Errorf("ESP %+v, want partition 1, type %v, name %q, %d sectors", p, gpt.TypeESP, espName, len(img)/512)
	}
	for _, gu := range []guid.GUID{g.DiskGUID, p.GUID} {
		if gu[6]>>4 != 4 || gu[8]>>6 != 2 {
			t.Errorf("GUID %v lacks version 4 / RFC 4122 variant bits", gu)
		}
	}
	if g.DiskGUID == p.GUID {
		t.Errorf("disk and partition GUID are equal: %v", p.GUID)
	}
	if p.FirstLBA%4 != 0 {
		t.Errorf("ESP starts at LBA %d, not on an ISO block", p.FirstLBA)
	}
	// Nothing but the protective MBR entry and signature in sector 0, and
	// nothing in the system area after the primary GPT array.
	if !allZero(data[:446]) || !allZero(data[512+512+128*128:16*blockSize]) {
		t.Error("system area holds data besides the protective MBR and primary GPT")
	}
	return p
}

func allZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

// checkVolumeDescriptors checks the descriptor set's order and fields by
// offset (ECMA-119 8, El Torito 2.0) and what isoinfo -d reads from it.
func checkVolumeDescriptors(t *testing.T, iso string, data []byte, joliet bool) {
	t.Helper()
	want := []byte{1, 0, 255} // PVD, El Torito boot record at 17, terminator
	if joliet {
		want = []byte{1, 0, 2, 255}
	}
	for i, typ := range want {
		vd := data[(16+i)*blockSize:][:blockSize]
		if vd[0] != typ || string(vd[1:6]) != "CD001" || vd[6] != 1 {
			t.Errorf("sector %d: volume descriptor type %d %q, want type %d", 16+i, vd[0], vd[1:6], typ)
		}
	}
	br := data[17*blockSize:][:blockSize]
	if got := string(br[7:39]); got != "EL TORITO SPECIFICATION"+strings.Repeat("\x00", 9) {
		t.Errorf("boot record system ID %q", got)
	}
	pvd := data[16*blockSize:][:blockSize]
	if got := string(pvd[40:72]); got != "PLINTH"+strings.Repeat(" ", 26) {
		t.Errorf("volume ID %q, want PLINTH padded with spaces", got)
	}
	for _, off := range []int{813, 830} {
		if got, want := string(pvd[off:off+17]), "2024010203040500\x00"; got != want {
			t.Errorf("PVD date at %d: %q, want %q", off, got, want)
		}
	}
	if got := binary.LittleEndian.Uint32(pvd[80:]); int(got)*blockSize != len(data) {
		t.Errorf("PVD volume space size %d blocks, file is %d blocks", got, len(data)/blockSize)
	}
	d := run(t, "isoinfo", "-d", "-i", iso)
	catalog := binary.LittleEndian.Uint32(br[71:])
	for _, line := range []string{
		"Volume id: PLINTH\n",
		fmt.Sprintf("Volume size is: %d\n", len(data)/blockSize),
		fmt.Sprintf("El Torito VD version 1 found, boot catalog is in sector %d\n", catalog),
		"Rock Ridge signatures version 1 found\n",
	} {
		if !strings.Contains(d, line) {
			t.Errorf("isoinfo -d lacks %q:\n%s", line, d)
		}
	}
	if joliet != strings.Contains(d, "Joliet with UCS level 3 found") {
		t.Errorf("isoinfo -d, Joliet %v:\n%s", joliet, d)
	}
	b := run(t, "blkid", "-p", iso)
	for _, kv := range []string{`LABEL="PLINTH"`, `TYPE="iso9660"`, `PTTYPE="gpt"`, `BOOT_SYSTEM_ID="EL TORITO SPECIFICATION"`} {
		if !strings.Contains(b, kv) {
			t.Errorf("blkid -p lacks %s:\n%s", kv, b)
		}
	}
}

func checkXorrisoReports(t *testing.T, iso string, size int64, esp gpt.Partition, img []byte) {
	t.Helper()
	rep := xorrisoReport(t, iso)
	// N Pltf B Emul Ld_seg Hdpt Ldsiz LBA
	e := oneReportLine(t, rep, "El Torito boot img")
	wantLd := strconv.Itoa(len(img) / 512)
	if len(img)/512 > 0xFFFF {
		wantLd = "0" // what xorriso itself writes for such images
	}
	want := []string{"1", "UEFI", "y", "none", "0x0000", "0x00", wantLd, strconv.FormatUint(esp.FirstLBA/4, 10)}
	if strings.Join(e, " ") != strings.Join(want, " ") {
		t.Errorf("El Torito boot img: %v, want %v\n%s", e, want, rep)
	}
	if p := oneReportLine(t, rep, "El Torito img path"); strings.Join(p, " ") != "1 /efiboot.img" {
		t.Errorf("El Torito img path: %v", p)
	}
	if s := oneReportLine(t, rep, "System area summary"); strings.Join(s, " ") != "MBR protective-msdos-label cyl-align-off GPT" {
		t.Errorf("System area summary: %v", s)
	}
	if s := oneReportLine(t, rep, "ISO image size/512"); s[0] != strconv.FormatInt(size/512, 10) {
		t.Errorf("ISO image size/512: %v, want %d", s, size/512)
	}
	mbrWant := []string{"1", "0x00", "0xee", "1", strconv.FormatInt(size/512-1, 10)}
	if m := oneReportLine(t, rep, "MBR partition"); strings.Join(m, " ") != strings.Join(mbrWant, " ") {
		t.Errorf("MBR partition: %v, want %v", m, mbrWant)
	}
	espType := gpt.TypeESP.Mixed()
	checks := map[string]string{
		"GPT type GUID":       "1 " + hex.EncodeToString(espType[:]),
		"GPT start and size":  fmt.Sprintf("1 %d %d", esp.FirstLBA, len(img)/512),
		"GPT partition path":  "1 /efiboot.img",
		"GPT partname local":  "1 " + espName,
		"GPT partition flags": "1 0x1000000000000001",
		"GPT lba range":       fmt.Sprintf("34 %d %d", size/512-34, size/512-1),
		"GPT entry array":     "2 128 separated",
	}
	for k, want := range checks {
		if got := strings.Join(oneReportLine(t, rep, k), " "); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func checkSgdisk(t *testing.T, iso string, esp gpt.Partition) {
	t.Helper()
	if v := run(t, "sgdisk", "-v", iso); !strings.Contains(v, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", v)
	}
	p := run(t, "sgdisk", "-p", iso)
	re := regexp.MustCompile(`(?m)^\s+1\s+(\d+)\s+(\d+)\s+.*\sEF00\s+EFI System$`)
	m := re.FindStringSubmatch(p)
	if m == nil {
		t.Fatalf("sgdisk -p lists no EF00 partition 1 named %q:\n%s", espName, p)
	}
	if m[1] != strconv.FormatUint(esp.FirstLBA, 10) || m[2] != strconv.FormatUint(esp.LastLBA, 10) {
		t.Errorf("sgdisk ESP %s..%s, want %d..%d", m[1], m[2], esp.FirstLBA, esp.LastLBA)
	}
}

func checkESPContent(t *testing.T, data []byte, esp gpt.Partition, img []byte) {
	t.Helper()
	part := data[esp.FirstLBA*512 : (esp.LastLBA+1)*512]
	if !bytes.Equal(part, img) {
		t.Fatal("ESP partition bytes differ from the input FAT image")
	}
	f := filepath.Join(t.TempDir(), "esp.img")
	if err := os.WriteFile(f, part, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "fsck.fat", "-n", f)
	if got := run(t, "mtype", "-i", f, "::/EFI/BOOT/BOOTX64.EFI"); got != string(bootx64) {
		t.Errorf("BOOTX64.EFI in ESP: %q, want %q", got, bootx64)
	}
}

func checkISOContent(t *testing.T, iso string, data []byte, files map[string][]byte, img []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "x")
	run(t, "osirrox", "-indev", iso, "-extract", "/", dir)
	want := map[string][]byte{EFIBootImagePath: img}
	for p, b := range files {
		want[p] = b
	}
	for p, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("extracted %s: %v", p, err)
		} else if !bytes.Equal(got, b) {
			t.Errorf("extracted %s: %d bytes, want %d (content differs)", p, len(got), len(b))
		}
	}
	// Nothing unexpected besides the boot catalog and directories.
	var extra []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		if err == nil && !fi.IsDir() && want[rel] == nil && rel != BootCatalogPath {
			extra = append(extra, rel)
		}
		return nil
	})
	if len(extra) > 0 {
		t.Errorf("unexpected files in ISO: %v", extra)
	}

	// Rock Ridge metadata: modes, owners, times.
	ls := run(t, "xorriso", "-indev", iso, "-find", "/", "-exec", "lsdl", "--")
	entry := regexp.MustCompile(`^[-de][-rwx]{9} `)
	for _, l := range strings.Split(ls, "\n") {
		if !entry.MatchString(l) {
			continue
		}
		f := strings.Fields(l)
		name := strings.Trim(strings.Join(f[8:], " "), "'")
		mode := "-rw-r--r--"
		switch {
		case strings.HasPrefix(f[0], "d"):
			mode = "drwxr-xr-x"
		case name == BootCatalogPath:
			mode = "er--r--r--" // xorriso marks the catalog with 'e'
		}
		if f[0] != mode || f[2] != "0" || f[3] != "0" || strings.Join(f[5:8], " ") != "Jan 2 2024" {
			t.Errorf("lsdl: %q, want mode %s, owner 0:0, date Jan 2 2024", l, mode)
		}
	}
	if !regexp.MustCompile(`(?m)^drwxr-xr-x .* '/'$`).MatchString(ls) {
		t.Errorf("root directory is not drwxr-xr-x:\n%s", ls)
	}
}

// checkPlainNames checks the ECMA-119 identifiers as a reader without
// Rock Ridge or Joliet sees them: interchange level 1 and unique in each
// directory.
func checkPlainNames(t *testing.T, iso string) {
	t.Helper()
	level1 := regexp.MustCompile(`^([A-Z0-9_]{1,8}|[A-Z0-9_]{0,8}\.[A-Z0-9_]{0,3};1)$`)
	seen := map[string]bool{}
	dir := ""
	for _, l := range strings.Split(run(t, "isoinfo", "-l", "-i", iso), "\n") {
		if d, ok := strings.CutPrefix(l, "Directory listing of "); ok {
			dir = d
			continue
		}
		i := strings.Index(l, "]  ")
		if i < 0 {
			continue
		}
		name := strings.TrimSuffix(l[i+3:], " ")
		if name == "." || name == ".." {
			continue
		}
		if !level1.MatchString(name) {
			t.Errorf("%s%s is not an ISO 9660 level 1 identifier", dir, name)
		}
		if seen[dir+name] {
			t.Errorf("%s%s appears twice", dir, name)
		}
		seen[dir+name] = true
	}
	if len(seen) == 0 {
		t.Error("isoinfo -l listed no files")
	}
}

func checkJoliet(t *testing.T, iso string, files map[string][]byte) {
	t.Helper()
	list := run(t, "isoinfo", "-J", "-f", "-i", iso)
	for p, b := range files {
		if !strings.Contains(list, p+"\n") {
			t.Errorf("Joliet listing lacks %s:\n%s", p, list)
			continue
		}
		out, err := exec.Command(testdisk.Tool(t, "isoinfo"), "-J", "-i", iso, "-x", p).Output()
		if err != nil || !bytes.Equal(out, b) {
			t.Errorf("Joliet extract %s: %q (%v), want %q", p, out, err, b)
		}
	}
}

// TestMatchesXorrisoReference builds xorriso's equivalent of our layout
// (-efi-boot-part --efi-boot-image) from the same inputs and compares the
// boot-relevant parts of both reports.
func TestMatchesXorrisoReference(t *testing.T) {
	img := makeFAT(t, 2880)
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	files := map[string][]byte{"/plinth/manifest.json": []byte("{}\n")}
	populate(t, root, img, files)
	ref := filepath.Join(tmp, "ref.iso")
	run(t, "xorriso", "-as", "mkisofs", "-R", "-V", "PLINTH", "-e", "efiboot.img", "-no-emul-boot",
		"-efi-boot-part", "--efi-boot-image", "-o", ref, root)
	ours := filepath.Join(tmp, "ours.iso")
	if _, err := Write(ours, Options{VolumeID: "PLINTH", EFIBootImage: img, Files: files, ModTime: testModTime}); err != nil {
		t.Fatal(err)
	}
	rr, or := xorrisoReport(t, ref), xorrisoReport(t, ours)

	// Same El Torito entry apart from the image's LBA.
	re, oe := oneReportLine(t, rr, "El Torito boot img"), oneReportLine(t, or, "El Torito boot img")
	if strings.Join(re[:7], " ") != strings.Join(oe[:7], " ") {
		t.Errorf("El Torito entry differs from xorriso's:\nref:  %v\nours: %v", re, oe)
	}
	// The protective MBR's CHS values follow the UEFI spec and sgdisk (255
	// heads, 63 sectors) rather than xorriso's 64/32; nothing reads them.
	for _, k := range []string{"El Torito img path", "System area summary"} {
		if a, b := oneReportLine(t, rr, k), oneReportLine(t, or, k); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s: ref %v, ours %v", k, a, b)
		}
	}
	// Protective MBR: same status/type/start; each covers its whole image.
	rm, om := oneReportLine(t, rr, "MBR partition"), oneReportLine(t, or, "MBR partition")
	if strings.Join(rm[:4], " ") != strings.Join(om[:4], " ") {
		t.Errorf("MBR partition: ref %v, ours %v", rm, om)
	}
	// The ESP: xorriso has Gap partitions around it; compare by path.
	espOf := func(rep string) (typ, flags, size string) {
		var n string
		for _, l := range reportLines(rep, "GPT partition path") {
			if l[1] == EFIBootImagePath {
				n = l[0]
			}
		}
		for _, l := range reportLines(rep, "GPT type GUID") {
			if l[0] == n {
				typ = l[1]
			}
		}
		for _, l := range reportLines(rep, "GPT partition flags") {
			if l[0] == n {
				flags = l[1]
			}
		}
		for _, l := range reportLines(rep, "GPT start and size") {
			if l[0] == n {
				size = l[2]
			}
		}
		return
	}
	rt, rf, rs := espOf(rr)
	ot, of, os := espOf(or)
	if rt == "" || rt != ot || rf != of || rs != os {
		t.Errorf("ESP (type, flags, size): ref (%s, %s, %s), ours (%s, %s, %s)\nref report:\n%s\nour report:\n%s", rt, rf, rs, ot, of, os, rr, or)
	}
}

// populate writes the tree xorriso is given: the EFI image and files,
// all dated testModTime, directories 0755 and files 0644 as in our images.
func populate(t *testing.T, root string, img []byte, files map[string][]byte) {
	t.Helper()
	all := map[string][]byte{EFIBootImagePath: img}
	for p, b := range files {
		all[p] = b
	}
	for p, b := range all {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if fi.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		return os.Chtimes(p, testModTime, testModTime)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDirectoriesMatchXorriso lists the directory records of our image and
// of xorriso's from the same files, as isoinfo reads them in the plain
// ECMA-119, Rock Ridge and Joliet trees: names, order, modes, owners,
// sizes and dates must agree. Only extents and Rock Ridge link counts may
// differ (xorriso records 1 for directories, we 2 + subdirectories). The
// files avoid a '.' in a directory name: xorriso keeps one ("DIR_WITH.DOT"),
// which ECMA-119 7.6 does not allow; we write "DIR_WITH".
func TestDirectoriesMatchXorriso(t *testing.T) {
	img := makeFAT(t, 1440)
	files := map[string][]byte{
		"/plinth/manifest.json":             []byte("{}\n"),
		"/plinth/release.json":              []byte("{}\n"),
		"/plinth/sub/Mixed Case.Name":       []byte("joliet"),
		"/README.TXT":                       []byte("readme"),
		"/a/b/c/d/e/f/g/deep.txt":           []byte("deep"),
		"/empty":                            {},
		"/Zeta.TXT":                         []byte("zeta"),
		"/" + strings.Repeat("x", 60) + ".": []byte("long"),
		"/dirname/archive.tar.gz":           []byte("gz"),
	}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	populate(t, root, img, files)
	ref := filepath.Join(tmp, "ref.iso")
	xorriso := testdisk.Tool(t, "xorriso")
	cmd := exec.Command(xorriso, "-as", "mkisofs", "-R", "-J", "-V", "PLINTH", "-e", "efiboot.img", "-no-emul-boot",
		"-efi-boot-part", "--efi-boot-image", "-o", ref, root)
	// The boot catalog is dated SOURCE_DATE_EPOCH.
	cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", testModTime.Unix()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	ours := filepath.Join(tmp, "ours.iso")
	if _, err := Write(ours, Options{VolumeID: "PLINTH", EFIBootImage: img, Files: files, ModTime: testModTime, Joliet: true}); err != nil {
		t.Fatal(err)
	}
	// Rock Ridge link counts: 2 + subdirectories (a, dirname, plinth).
	if l := run(t, "isoinfo", "-l", "-R", "-i", ours); !regexp.MustCompile(`(?m)^drwxr-xr-x +5 .*\]  \. $`).MatchString(l) {
		t.Errorf("root directory's link count is not 5:\n%s", l)
	}
	extent := regexp.MustCompile(`\[ *\d+ +\d+\]`)
	links := regexp.MustCompile(`(?m)^(d[-rwx]{9}) +\d+ `)
	listing := func(iso string, view []string) string {
		l := run(t, "isoinfo", append([]string{"-l", "-i", iso}, view...)...)
		return links.ReplaceAllString(extent.ReplaceAllString(l, "[]"), "$1 n ")
	}
	for _, view := range [][]string{nil, {"-R"}, {"-J"}} {
		if r, o := listing(ref, view), listing(ours, view); r != o {
			t.Errorf("isoinfo -l %v differs:\nxorriso:\n%s\nours:\n%s", view, r, o)
		}
	}
}

func TestReproducible(t *testing.T) {
	img := makeFAT(t, 2880)
	opts := Options{VolumeID: "PLINTH", EFIBootImage: img, ModTime: testModTime, Joliet: true, Files: map[string][]byte{
		"/plinth/manifest.json": []byte("{}\n"),
		"/a/b/c.txt":            []byte("c"),
	}}
	dir := t.TempDir()
	build := func(name string, o Options) []byte {
		t.Helper()
		p := filepath.Join(dir, name)
		if _, err := Write(p, o); err != nil {
			t.Fatalf("Write %s: %v", name, err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := build("a.iso", opts)
	// Nothing may depend on the clock or the umask: build again a second
	// later with another umask.
	time.Sleep(1100 * time.Millisecond)
	old := syscallUmask(0o077)
	b := build("b.iso", opts)
	syscallUmask(old)
	if !bytes.Equal(a, b) {
		for i := range a {
			if i >= len(b) || a[i] != b[i] {
				t.Fatalf("two builds differ (sizes %d, %d), first at byte %#x (sector %d)", len(a), len(b), i, i/blockSize)
			}
		}
		t.Fatalf("two builds differ in size: %d vs %d", len(a), len(b))
	}

	opts.ModTime = testModTime.Add(time.Second)
	c := build("c.iso", opts)
	if bytes.Equal(a, c) {
		t.Fatal("different ModTime produced identical images")
	}
	ga, _ := gpt.Read(bytes.NewReader(a), int64(len(a)), 512)
	gc, _ := gpt.Read(bytes.NewReader(c), int64(len(c)), 512)
	if ga == nil || gc == nil || ga.DiskGUID == gc.DiskGUID {
		t.Error("disk GUID does not depend on the image content")
	}
}

func TestWriteValidation(t *testing.T) {
	fat := make([]byte, 4096)
	fat[510], fat[511] = 0x55, 0xAA
	ok := func() Options { return Options{VolumeID: "PLINTH", EFIBootImage: fat} }
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"empty volume ID", func(o *Options) { o.VolumeID = "" }, "volume ID"},
		{"lowercase volume ID", func(o *Options) { o.VolumeID = "plinth" }, "d-character"},
		{"long volume ID", func(o *Options) { o.VolumeID = strings.Repeat("A", 33) }, "volume ID"},
		{"no EFI image", func(o *Options) { o.EFIBootImage = nil }, "multiple of 512"},
		{"odd EFI image", func(o *Options) { o.EFIBootImage = append(fat, 1) }, "multiple of 512"},
		{"not FAT", func(o *Options) { o.EFIBootImage = make([]byte, 1024) }, "0x55AA"},
		{"relative path", func(o *Options) { o.Files = map[string][]byte{"a.txt": nil} }, "absolute"},
		{"unclean path", func(o *Options) { o.Files = map[string][]byte{"/a/../b": nil} }, "clean"},
		{"trailing slash", func(o *Options) { o.Files = map[string][]byte{"/a/": nil} }, "clean"},
		{"reserved efiboot", func(o *Options) { o.Files = map[string][]byte{"/efiboot.img": nil} }, "reserved"},
		{"reserved catalog", func(o *Options) { o.Files = map[string][]byte{"/boot.catalog/x": nil} }, "reserved"},
		{"file and dir", func(o *Options) { o.Files = map[string][]byte{"/a": nil, "/a/b": nil} }, "parent directory"},
		{"too deep", func(o *Options) { o.Files = map[string][]byte{"/1/2/3/4/5/6/7/8/f": nil} }, "deeper"},
		{"long name", func(o *Options) { o.Files = map[string][]byte{"/" + strings.Repeat("n", 256): nil} }, "longer than 255"},
		{"joliet long name", func(o *Options) {
			o.Joliet = true
			o.Files = map[string][]byte{"/" + strings.Repeat("n", 65): nil}
		}, "Joliet"},
		{"bad utf-8", func(o *Options) { o.Files = map[string][]byte{"/\xff": nil} }, "UTF-8"},
		{"ModTime too early", func(o *Options) { o.ModTime = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, "ModTime"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok()
			tc.mutate(&o)
			p := filepath.Join(dir, "out.iso")
			_, err := Write(p, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "iso: ") {
				t.Fatalf("Write error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("output exists after failed Write: %v", err)
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed Writes left files behind: %v", ents)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	img := makeFAT(t, 1440)
	dir := t.TempDir()
	p := filepath.Join(dir, "plinth.iso")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A failing Write leaves the old file alone.
	if _, err := Write(p, Options{VolumeID: "bad id", EFIBootImage: img}); err == nil {
		t.Fatal("Write with a bad volume ID succeeded")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("failed Write changed the existing file")
	}
	// Unwritable directory: error names the operation.
	if _, err := Write(filepath.Join(dir, "missing", "x.iso"), Options{VolumeID: "PLINTH", EFIBootImage: img}); err == nil || !strings.Contains(err.Error(), "iso: create temporary file") {
		t.Errorf("Write into a missing directory: %v", err)
	}
	n, err := Write(p, Options{VolumeID: "PLINTH", EFIBootImage: img})
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Size() != n {
		t.Errorf("size %d, Write returned %d", fi.Size(), n)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %v, want only plinth.iso", ents)
	}
}

func BenchmarkWrite(b *testing.B) {
	img := makeFAT(b, 30*1024)
	dir := b.TempDir()
	opts := Options{VolumeID: "PLINTH", EFIBootImage: img, ModTime: testModTime,
		Files: map[string][]byte{"/plinth/manifest.json": []byte("{}\n")}}
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := Write(filepath.Join(dir, "bench.iso"), opts); err != nil {
			b.Fatal(err)
		}
	}
}

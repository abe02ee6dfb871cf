package abslot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
)

const product = "Acme DB"

var (
	espUUID   = guid.MustParse("11111111-2222-3333-4444-555555555555")
	otherUUID = guid.MustParse("99999999-8888-7777-6666-555555555555")
	testHD    = efivar.GPTHardDrive(1, 2048, 1048576, espUUID)
	testNow   = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
)

var chains = []struct {
	name  string
	chain bootchain.Chain
}{
	{"direct", bootchain.Chain{}},
	{"shim", bootchain.Chain{Shim: true}},
}

// uki is the content of a runtime UKI of version: distinct per version
// and more than one page long.
func uki(version string) []byte { return bytes.Repeat([]byte("MZ runtime "+version+"\n"), 700) }

func ukiSum(version string) [32]byte { return sha256.Sum256(uki(version)) }

var (
	shimBytes = bytes.Repeat([]byte("MZ shim\n"), 100)
	mmBytes   = bytes.Repeat([]byte("MZ mokmanager\n"), 100)
)

// fixture is an installed ESP in a temporary directory and a variable
// store with the firmware's own entries.
type fixture struct {
	t       *testing.T
	root    string
	vars    *efivar.MemStore
	esp     ESP
	foreign []uint16 // the firmware's entries, in BootOrder order
}

// newFixture makes an ESP as an installer of the slot layout leaves it:
// slot A committed at v1, its fallback chain, slots.json, and with shim
// the shared shim and MokManager. The variable store holds firmware
// entries only; Repair creates ours.
func newFixture(t *testing.T, chain bootchain.Chain) *fixture {
	t.Helper()
	return newFixtureAt(t, chain, t.TempDir())
}

// newFixtureAt is newFixture with the ESP at root.
func newFixtureAt(t *testing.T, chain bootchain.Chain, root string) *fixture {
	t.Helper()
	f := bareFixtureAt(t, chain, root)
	f.write(A.Path(), uki("v1"))
	f.writeChain(A.Path(), uki("v1"))
	b, err := NewState("v1", int64(len(uki("v1"))), ukiSum("v1")).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	f.write(StatePath, b)
	return f
}

// legacyFixture makes an ESP installed before slots: the UKI at
// LegacyPath, its fallback chain, and its boot entry first in BootOrder.
func legacyFixture(t *testing.T, chain bootchain.Chain) *fixture {
	t.Helper()
	f := bareFixture(t, chain)
	legacy := LegacyPath(product)
	f.write(legacy, uki("v1"))
	f.writeChain(legacy, uki("v1"))
	e := chain.Entry(legacy)
	dp, err := efivar.DiskBootPath(testHD, "/"+e.Loader)
	if err != nil {
		t.Fatal(err)
	}
	o, err := efivar.NewBootOption(product, dp)
	if err != nil {
		t.Fatal(err)
	}
	if o.OptionalData, err = e.OptionalData(); err != nil {
		t.Fatal(err)
	}
	if _, err := efivar.EnsureBootOption(f.vars, o); err != nil {
		t.Fatal(err)
	}
	return f
}

// bareFixture is an empty ESP (with shim and MokManager for the shim
// chain) and the firmware's entries: a shell on another disk, network
// boot, and the disk itself (a device path without a file, which makes
// the firmware start the ESP's removable-media path).
func bareFixture(t *testing.T, chain bootchain.Chain) *fixture {
	t.Helper()
	return bareFixtureAt(t, chain, t.TempDir())
}

func bareFixtureAt(t *testing.T, chain bootchain.Chain, root string) *fixture {
	t.Helper()
	f := &fixture{t: t, root: root, vars: efivar.NewMemStore(),
		esp: ESP{HD: testHD, Chain: chain, Product: product}}
	f.esp.Root = f.root
	if chain.Shim {
		f.write(path.Join(Dir, bootchain.ShimName), shimBytes)
		f.write(path.Join(Dir, bootchain.MokManagerName), mmBytes)
	}
	shell, err := efivar.DiskBootPath(efivar.GPTHardDrive(1, 2048, 4096, otherUUID), `\EFI\Shell\shell.efi`)
	if err != nil {
		t.Fatal(err)
	}
	mac := efivar.DevicePath{efivar.RawNode{NodeType: efivar.TypeMessaging, NodeSubType: 11, Data: make([]byte, 33)}}
	for num, e := range map[uint16]struct {
		label string
		dp    efivar.DevicePath
	}{0: {"EFI Shell", shell}, 1: {"UEFI PXEv4", mac}, 2: {"UEFI Disk", efivar.DevicePath{testHD}}} {
		o := &efivar.LoadOption{Attributes: efivar.LoadOptionActive, Description: e.label, FilePaths: []efivar.DevicePath{e.dp}}
		if err := efivar.WriteBootEntry(f.vars, num, o); err != nil {
			t.Fatal(err)
		}
	}
	f.foreign = []uint16{1, 2, 0}
	if err := efivar.WriteBootOrder(f.vars, f.foreign); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeChain writes the fallback copies of the chain for the UKI at uki.
func (f *fixture) writeChain(uki string, ukiBytes []byte) {
	content := map[bootchain.Binary][]byte{bootchain.RuntimeUKI: ukiBytes, bootchain.Shim: shimBytes, bootchain.MokManager: mmBytes}
	for _, file := range f.esp.Chain.Files(uki) {
		if path.Dir(file.Path) != Dir {
			f.write(file.Path, content[file.Binary])
		}
	}
}

func (f *fixture) abs(rel string) string { return filepath.Join(f.root, filepath.FromSlash(rel)) }

func (f *fixture) write(rel string, b []byte) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.abs(rel)), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.abs(rel), b, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) read(rel string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(f.abs(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// open opens the ESP with the test clock; p, if not nil, cuts the power.
func (f *fixture) open(p *power) *Slots {
	f.t.Helper()
	s, err := Open(f.esp)
	if err != nil {
		f.t.Fatal(err)
	}
	s.now = func() time.Time { return testNow }
	if p != nil {
		s.files.fault = p.write
	}
	return s
}

// snapshot is every file under the ESP root, by path.
func (f *fixture) snapshot() map[string][]byte {
	f.t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(f.root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(f.root, p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// varsSnapshot is every variable's data, by name.
func (f *fixture) varsSnapshot() map[string][]byte {
	f.t.Helper()
	refs, err := f.vars.List()
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, r := range refs {
		_, b, err := f.vars.Get(r.Name, r.GUID)
		if err != nil {
			f.t.Fatal(err)
		}
		m[r.Name] = b
	}
	return m
}

func (f *fixture) bootOrder() []uint16 {
	f.t.Helper()
	order, err := efivar.ReadBootOrder(f.vars)
	if err != nil {
		f.t.Fatal(err)
	}
	return order
}

// entry returns the number of the one entry labelled label.
func (f *fixture) entry(label string) uint16 {
	f.t.Helper()
	entries, err := efivar.ListBootEntries(f.vars)
	if err != nil {
		f.t.Fatal(err)
	}
	var nums []uint16
	for _, e := range entries {
		if e.Option != nil && e.Option.Description == label {
			nums = append(nums, e.Num)
		}
	}
	if len(nums) != 1 {
		f.t.Fatalf("entries labelled %q: %v, want one", label, nums)
	}
	return nums[0]
}

func (f *fixture) setBootCurrent(num uint16) {
	f.t.Helper()
	b := []byte{byte(num), byte(num >> 8)}
	if err := f.vars.Set("BootCurrent", efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, b); err != nil {
		f.t.Fatal(err)
	}
}

// boot does what the UEFI boot manager does, as far as these tests need:
// it deletes BootNext and starts that option if it can, else the first
// option of BootOrder it can start; it sets BootCurrent and returns the
// ESP path of the UKI that runs. An option it can start is one on this
// ESP whose file exists; shim starts the second stage its optional data
// names, or grubx64.efi beside itself; a device without a file starts the
// removable-media path.
func (f *fixture) boot() string {
	f.t.Helper()
	var try []uint16
	if n, err := efivar.ReadBootNext(f.vars); err == nil {
		try = append(try, n)
		if err := efivar.DeleteBootNext(f.vars); err != nil {
			f.t.Fatal(err)
		}
	}
	order, _ := efivar.ReadBootOrder(f.vars)
	for _, n := range append(try, order...) {
		if uki, ok := f.start(n); ok {
			f.setBootCurrent(n)
			return uki
		}
	}
	f.t.Fatalf("the firmware finds nothing to boot in BootOrder %v", order)
	return ""
}

func (f *fixture) start(num uint16) (string, bool) {
	o, err := efivar.ReadBootEntry(f.vars, num)
	if err != nil || !o.Active() || len(o.Path()) == 0 {
		return "", false
	}
	if hd, ok := o.Path()[0].(efivar.HardDrive); !ok || hd.PartUUID != espUUID {
		return "", false
	}
	loader := strings.ReplaceAll(strings.TrimPrefix(o.Path().LoaderPath(), `\`), `\`, "/")
	if loader == "" {
		loader = disklayout.FallbackPath
	}
	b, err := os.ReadFile(f.abs(loader))
	if err != nil {
		return "", false
	}
	if !bytes.Equal(b, shimBytes) {
		return loader, true
	}
	second := path.Join(path.Dir(loader), bootchain.ShimDefaultLoader)
	if len(o.OptionalData) > 0 {
		second = strings.ReplaceAll(strings.TrimPrefix(efivar.DecodeUCS2(o.OptionalData), `\`), `\`, "/")
	}
	if _, err := os.Stat(f.abs(second)); err != nil {
		return "", false
	}
	return second, true
}

// version says which test UKI the file at rel holds, or "?".
func (f *fixture) version(rel string) string {
	b, err := os.ReadFile(f.abs(rel))
	if err != nil {
		return "missing"
	}
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		if bytes.Equal(b, uki(v)) {
			return v
		}
	}
	return "?"
}

// fallbackUKI is the removable-media copy of the UKI for f's chain.
func (f *fixture) fallbackUKI() string {
	if f.esp.Chain.Shim {
		return path.Join(path.Dir(disklayout.FallbackPath), bootchain.ShimDefaultLoader)
	}
	return disklayout.FallbackPath
}

// checkForeign fails unless the firmware's entries are as the fixture
// made them and keep their relative order in BootOrder.
func (f *fixture) checkForeign(before map[string][]byte) { f.checkForeignOrder(before, f.foreign) }

// checkForeignOrder is checkForeign with the firmware's entries
// expected in BootOrder in the order want.
func (f *fixture) checkForeignOrder(before map[string][]byte, want []uint16) {
	f.t.Helper()
	after := f.varsSnapshot()
	for _, n := range f.foreign {
		name := efivar.BootOptionName(n)
		if !bytes.Equal(before[name], after[name]) {
			f.t.Errorf("%s changed", name)
		}
	}
	order := f.bootOrder()
	var rest []uint16
	for _, n := range order {
		if slices.Contains(f.foreign, n) {
			rest = append(rest, n)
		}
	}
	if !slices.Equal(rest, want) {
		f.t.Errorf("BootOrder %v: the firmware's entries are %v, want %v in that order", order, rest, want)
	}
}

// checkSettled fails unless the ESP and the variables are as Repair
// leaves them for the state on disk: BootOrder starts with the committed
// slot's entry, then the other's; the committed UKI, and its fallback
// copy, have the recorded digest. It returns the state.
func (f *fixture) checkSettled() *State {
	f.t.Helper()
	st, err := ParseState(f.read(StatePath))
	if err != nil {
		f.t.Fatal(err)
	}
	c := st.Slot(st.Committed)
	want := []uint16{f.entry(product + " " + string(st.Committed)), f.entry(product + " " + string(st.Committed.Other()))}
	if order := f.bootOrder(); len(order) < 2 || !slices.Equal(order[:2], want) {
		f.t.Errorf("BootOrder %v, want %v first (committed slot %s)", order, want, st.Committed)
	}
	for _, rel := range []string{st.Committed.Path(), f.fallbackUKI()} {
		if got := f.version(rel); got != c.Version {
			f.t.Errorf("%s holds %s, want the committed %s", rel, got, c.Version)
		}
	}
	return st
}

// errCut is what every write returns once the power is cut.
var errCut = errors.New("power cut")

// power cuts the power after a number of writes (variables and ESP
// files): left writes succeed, then every write fails.
type power struct {
	left int // -1: never cut
	ops  []string
}

func (p *power) write(op string) error {
	if p.left == 0 {
		return fmt.Errorf("%s: %w", op, errCut)
	}
	if p.left > 0 {
		p.left--
	}
	p.ops = append(p.ops, op)
	return nil
}

// cutStore is a variable store behind p.
type cutStore struct {
	efivar.Store
	p *power
}

func (c cutStore) Set(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	if err := c.p.write("set " + name); err != nil {
		return err
	}
	return c.Store.Set(name, vendor, attrs, data)
}

func (c cutStore) Delete(name string, vendor guid.GUID) error {
	if err := c.p.write("delete " + name); err != nil {
		return err
	}
	return c.Store.Delete(name, vendor)
}

func (f *fixture) readOrder() ([]uint16, bool) {
	order, err := efivar.ReadBootOrder(f.vars)
	return order, err == nil
}

func (f *fixture) readBootNext() (uint16, bool) {
	n, err := efivar.ReadBootNext(f.vars)
	return n, err == nil
}

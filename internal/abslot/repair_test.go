package abslot

import (
	"bytes"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
)

// repair runs Repair with writes counted, and fails on an error.
func (f *fixture) repair() ([]string, []string) {
	f.t.Helper()
	p := &power{left: -1}
	s := f.open(p)
	changes, err := s.Repair(cutStore{f.vars, p})
	if err != nil {
		f.t.Fatal(err)
	}
	return changes, p.ops
}

func TestRepairFreshLayout(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.chain)
			before := f.varsSnapshot()
			changes, _ := f.repair()
			if len(changes) != 3 { // two entries created, BootOrder
				t.Errorf("changes %q, want two entries and BootOrder", changes)
			}
			a, b := f.entry(product+" A"), f.entry(product+" B")
			if want := append([]uint16{a, b}, f.foreign...); !slices.Equal(f.bootOrder(), want) {
				t.Errorf("BootOrder %v, want %v", f.bootOrder(), want)
			}
			if a == b || slices.Contains(f.foreign, a) || slices.Contains(f.foreign, b) {
				t.Errorf("entries A=%d B=%d reuse a number of %v", a, b, f.foreign)
			}
			f.checkForeign(before)
			f.checkSettled()

			changes, ops := f.repair()
			if len(changes) != 0 || len(ops) != 0 {
				t.Errorf("second Repair changed %q with writes %q, want nothing", changes, ops)
			}
		})
	}
}

func TestRepairEntries(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.chain)
			f.repair()
			loader := c.chain.Entry(A.Path()).Loader
			for _, slot := range []Slot{A, B} {
				o, err := efivar.ReadBootEntry(f.vars, f.entry(f.esp.Label(slot)))
				if err != nil {
					t.Fatal(err)
				}
				want := `\` + strings.ReplaceAll(c.chain.Entry(slot.Path()).Loader, "/", `\`)
				if got := o.Path().String(); got != testHD.String()+"/File("+want+")" {
					t.Errorf("slot %s entry path %s, want the ESP's HD and File(%s)", slot, got, want)
				}
				if !o.Active() {
					t.Errorf("slot %s entry is not active", slot)
				}
				if !c.chain.Shim {
					if len(o.OptionalData) != 0 || loader != A.Path() {
						t.Errorf("direct chain: optional data %x, loader %s", o.OptionalData, loader)
					}
					continue
				}
				// shim takes a NUL-terminated UCS-2 path of its second stage.
				var ucs2 []byte
				for _, r := range `\EFI\plinth\slot-` + strings.ToLower(string(slot)) + ".efi" {
					ucs2 = append(ucs2, byte(r), 0)
				}
				if !bytes.Equal(o.OptionalData, append(ucs2, 0, 0)) {
					t.Errorf("slot %s optional data %q, want the UCS-2 second stage %q", slot, o.OptionalData, ucs2)
				}
				if loader != path.Join(Dir, bootchain.ShimName) {
					t.Errorf("shim chain loader %s", loader)
				}
			}
		})
	}
}

type damage struct {
	name   string
	shim   bool // only with the shim chain
	do     func(f *fixture)
	change string // part of the change Repair reports
	lost   bool   // the firmware's entries are not in BootOrder any more
}

// repairDamages are the things Repair looks after, each broken once.
func repairDamages() []damage {
	return []damage{
		{name: "entry A deleted", do: func(f *fixture) {
			if err := f.vars.Delete(efivar.BootOptionName(f.entry(product+" A")), efivar.GlobalVariable); err != nil {
				f.t.Fatal(err)
			}
		}, change: `created Boot`},
		{name: "BootOrder with B first", do: func(f *fixture) {
			order := f.bootOrder()
			order[0], order[1] = order[1], order[0]
			if err := efivar.WriteBootOrder(f.vars, order); err != nil {
				f.t.Fatal(err)
			}
		}, change: "BootOrder"},
		{name: "BootOrder lost", do: func(f *fixture) {
			if err := efivar.DeleteBootOrder(f.vars); err != nil {
				f.t.Fatal(err)
			}
		}, change: "BootOrder (unset)", lost: true},
		{name: "entry B points at an old partition", do: func(f *fixture) {
			dp, _ := efivar.DiskBootPath(efivar.GPTHardDrive(1, 2048, 4096, otherUUID), "/"+B.Path())
			o, _ := efivar.NewBootOption(product+" B", dp)
			if err := efivar.WriteBootEntry(f.vars, f.entry(product+" B"), o); err != nil {
				f.t.Fatal(err)
			}
		}, change: `rewrote Boot`},
		{name: "entry A inactive and volatile", do: func(f *fixture) {
			name := efivar.BootOptionName(f.entry(product + " A"))
			_, b, _ := f.vars.Get(name, efivar.GlobalVariable)
			b[0] = 0
			f.vars.Delete(name, efivar.GlobalVariable)
			if err := f.vars.Set(name, efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, b); err != nil {
				f.t.Fatal(err)
			}
		}, change: `created Boot`},
		{name: "duplicate entry A", do: func(f *fixture) {
			o, _ := efivar.ReadBootEntry(f.vars, f.entry(product+" A"))
			if err := efivar.WriteBootEntry(f.vars, 0x40, o); err != nil {
				f.t.Fatal(err)
			}
			if err := efivar.WriteBootOrder(f.vars, append([]uint16{0x40}, f.bootOrder()...)); err != nil {
				f.t.Fatal(err)
			}
		}, change: "removed extra entry Boot0040"},
		{name: "fallback UKI corrupted", do: func(f *fixture) {
			f.write(f.fallbackUKI(), []byte("garbage"))
		}, change: "copied " + A.Path()},
		{name: "fallback UKI missing", do: func(f *fixture) {
			if err := os.Remove(f.abs(f.fallbackUKI())); err != nil {
				f.t.Fatal(err)
			}
		}, change: "copied " + A.Path()},
		{name: "fallback shim corrupted", shim: true, do: func(f *fixture) {
			f.write(disklayout.FallbackPath, []byte("garbage"))
		}, change: "copied EFI/plinth/shimx64.efi to EFI/BOOT/BOOTX64.EFI"},
		{name: "committed slot corrupted", do: func(f *fixture) {
			f.write(A.Path(), uki("v9"))
		}, change: "restored slot A"},
	}
}

// TestRepairRestores damages what Repair looks after, one thing at a
// time, and checks that Repair puts it right, says so, and then finds
// nothing more to do.
func TestRepairRestores(t *testing.T) {
	damages := repairDamages()
	for _, c := range chains {
		for _, d := range damages {
			if d.shim && !c.chain.Shim {
				continue
			}
			t.Run(c.name+"/"+d.name, func(t *testing.T) {
				f := newFixture(t, c.chain)
				f.repair()
				before := f.varsSnapshot()
				d.do(f)
				changes, _ := f.repair()
				if !slices.ContainsFunc(changes, func(s string) bool { return strings.Contains(s, d.change) }) {
					t.Errorf("changes %q, want one with %q", changes, d.change)
				}
				f.checkSettled()
				if d.lost {
					f.checkForeignOrder(before, nil) // not ours to put back
				} else {
					f.checkForeign(before)
				}
				if changes, ops := f.repair(); len(changes) != 0 || len(ops) != 0 {
					t.Errorf("second Repair changed %q with writes %q, want nothing", changes, ops)
				}
			})
		}
	}
}

// TestRepairNoGoodCopy: when neither the committed slot nor its fallback
// copy has the recorded digest, Repair stops and overwrites nothing.
func TestRepairNoGoodCopy(t *testing.T) {
	f := newFixture(t, bootchain.Chain{})
	f.write(A.Path(), []byte("bad"))
	f.write(f.fallbackUKI(), []byte("also bad"))
	before, vars := f.snapshot(), f.varsSnapshot()
	if _, err := f.open(nil).Repair(f.vars); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Fatalf("Repair: %v, want an error about no good copy", err)
	}
	if after := f.snapshot(); !sameFiles(before, after) {
		t.Error("Repair changed the ESP")
	}
	if after := f.varsSnapshot(); !sameFiles(vars, after) {
		t.Error("Repair changed variables")
	}
}

func sameFiles(a, b map[string][]byte) bool { return maps.EqualFunc(a, b, bytes.Equal) }

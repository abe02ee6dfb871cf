package abslot

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
)

// The legacy path is where installers before slots put the runtime UKI:
// EFI/plinth/<hostname prefix of the product>.efi. It must never change.
func TestLegacyPath(t *testing.T) {
	for p, want := range map[string]string{"Acme DB": "EFI/plinth/acme-db.efi", "etcd": "EFI/plinth/etcd.efi", "Plinth": "EFI/plinth/plinth.efi"} {
		if got := LegacyPath(p); got != want {
			t.Errorf("LegacyPath(%q) = %s, want %s", p, got, want)
		}
	}
}

func TestOpenNoLayout(t *testing.T) {
	f := bareFixture(t, chains[0].chain)
	if _, err := Open(f.esp); !errors.Is(err, ErrNoLayout) {
		t.Errorf("Open of an empty ESP: %v, want ErrNoLayout", err)
	}
	for _, esp := range []ESP{{HD: testHD, Product: product}, {Root: f.root, HD: testHD}, {Root: f.root, Product: product}} {
		if _, err := Open(esp); err == nil {
			t.Errorf("Open(%+v) succeeded", esp)
		}
	}
}

func TestConvert(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := legacyFixture(t, c.chain)
			legacy := LegacyPath(product)
			legacyEntry := f.entry(product)
			f.foreign = append([]uint16{legacyEntry}, f.foreign...)
			before := f.varsSnapshot()

			s := f.open(nil)
			if !s.Legacy() {
				t.Fatal("a legacy ESP opens as not legacy")
			}
			if _, err := s.Repair(f.vars); !errors.Is(err, ErrLegacy) {
				t.Errorf("Repair of a legacy ESP: %v, want ErrLegacy", err)
			}
			if err := s.Convert("v1"); err != nil {
				t.Fatal(err)
			}
			if f.version(A.Path()) != "v1" || f.version(legacy) != "v1" {
				t.Errorf("after Convert slot A holds %s, the legacy file %s", f.version(A.Path()), f.version(legacy))
			}
			if err := s.Convert("v1"); err == nil {
				t.Error("second Convert succeeded")
			}

			// The boot entries: ours first, the legacy one kept after them.
			f.repair()
			st := f.checkSettled()
			if st.Legacy != legacy {
				t.Errorf("state records legacy %q, want %q", st.Legacy, legacy)
			}
			f.checkForeign(before)

			// This boot came through the legacy entry: the committed bytes.
			f.setBootCurrent(legacyEntry)
			if slot, how, err := f.open(nil).Booted(f.vars); slot != A || err != nil {
				t.Errorf("Booted through the legacy entry = %s, %q, %v", slot, how, err)
			}

			f.update("v2")
			if _, err := os.Stat(f.abs(legacy)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("legacy UKI after the first commit: %v", err)
			}
			if _, err := efivar.ReadBootEntry(f.vars, legacyEntry); !errors.Is(err, efivar.ErrNotFound) {
				t.Errorf("legacy entry after the first commit: %v", err)
			}
			if slices.Contains(f.bootOrder(), legacyEntry) {
				t.Errorf("BootOrder %v still names the legacy entry", f.bootOrder())
			}
			if st := f.checkSettled(); st.Legacy != "" {
				t.Errorf("state still records legacy %q", st.Legacy)
			}
			f.foreign = f.foreign[1:]
			f.checkForeign(before)
		})
	}
}

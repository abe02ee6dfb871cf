package efivar

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/plinth-os/plinth/internal/guid"
)

// MemStore is an in-memory Store for tests. It applies the same write
// checks as the kernel's efivarfs, and like firmware refuses to change the
// attributes of an existing variable.
type MemStore struct {
	mu   sync.Mutex
	vars map[VarRef]memVar
}

type memVar struct {
	attrs uint32
	data  []byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{vars: map[VarRef]memVar{}} }

func (m *MemStore) Get(name string, vendor guid.GUID) (uint32, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vars[VarRef{name, vendor}]
	if !ok {
		return 0, nil, fmt.Errorf("efivar: read %s-%s: %w", name, vendor, ErrNotFound)
	}
	return v.attrs, slices.Clone(v.data), nil
}

func (m *MemStore) Set(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	if err := checkSet(name, vendor, attrs, data); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := VarRef{name, vendor}
	if old, ok := m.vars[ref]; ok && old.attrs != attrs {
		return fmt.Errorf("efivar: set %s: attributes %#x differ from the existing %#x: firmware refuses that (delete first)", ref, attrs, old.attrs)
	}
	m.vars[ref] = memVar{attrs: attrs, data: slices.Clone(data)}
	return nil
}

func (m *MemStore) Delete(name string, vendor guid.GUID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := VarRef{name, vendor}
	if _, ok := m.vars[ref]; !ok {
		return fmt.Errorf("efivar: delete %s: %w", ref, ErrNotFound)
	}
	delete(m.vars, ref)
	return nil
}

func (m *MemStore) List() ([]VarRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	refs := make([]VarRef, 0, len(m.vars))
	for r := range m.vars {
		refs = append(refs, r)
	}
	sortRefs(refs)
	return refs, nil
}

func sortRefs(refs []VarRef) {
	slices.SortFunc(refs, func(a, b VarRef) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.GUID.String(), b.GUID.String())
	})
}

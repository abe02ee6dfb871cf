package mkext4

import (
	"fmt"
	"sort"
)

// run is a range of blocks.
type run struct{ start, len uint64 }

func (r run) end() uint64 { return r.start + r.len }

// allocator tracks used blocks as sorted, merged runs. Metadata and data
// are placed in a handful of long runs, so the list stays short even for
// terabyte filesystems, where a bitmap would take tens of megabytes.
type allocator struct {
	used  []run
	total uint64
}

// mark records [start, start+n) as used; the range must be free.
func (a *allocator) mark(start, n uint64) error {
	if n == 0 {
		return nil
	}
	if start+n > a.total || start+n < start {
		return fmt.Errorf("ext4: blocks %d+%d beyond the end (%d): %w", start, n, a.total, ErrTooSmall)
	}
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > start })
	if i < len(a.used) && a.used[i].start < start+n {
		return fmt.Errorf("ext4: internal error: blocks %d+%d already used", start, n)
	}
	switch {
	case i > 0 && a.used[i-1].end() == start && i < len(a.used) && a.used[i].start == start+n:
		a.used[i-1].len += n + a.used[i].len
		a.used = append(a.used[:i], a.used[i+1:]...)
	case i > 0 && a.used[i-1].end() == start:
		a.used[i-1].len += n
	case i < len(a.used) && a.used[i].start == start+n:
		a.used[i].start, a.used[i].len = start, a.used[i].len+n
	default:
		a.used = append(a.used, run{})
		copy(a.used[i+1:], a.used[i:])
		a.used[i] = run{start, n}
	}
	return nil
}

// nextFree returns the free range starting at or after pos, up to the next
// used block (or the end); ok is false when none is left.
func (a *allocator) nextFree(pos uint64) (r run, ok bool) {
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > pos })
	for ; i < len(a.used) && a.used[i].start <= pos; i++ {
		pos = a.used[i].end()
	}
	if pos >= a.total {
		return run{}, false
	}
	end := a.total
	if i < len(a.used) {
		end = a.used[i].start
	}
	return run{pos, end - pos}, true
}

// contiguous allocates n blocks in one run at the first fit from pos.
func (a *allocator) contiguous(pos, n uint64) (uint64, error) {
	for {
		r, ok := a.nextFree(pos)
		if !ok {
			return 0, fmt.Errorf("ext4: no run of %d free blocks: %w", n, ErrTooSmall)
		}
		if r.len >= n {
			return r.start, a.mark(r.start, n)
		}
		pos = r.end()
	}
}

// runs allocates n blocks from pos on, in as few runs as the free space
// allows, and returns them in order.
func (a *allocator) runs(pos, n uint64) ([]run, error) {
	var out []run
	for n > 0 {
		r, ok := a.nextFree(pos)
		if !ok {
			return nil, fmt.Errorf("ext4: out of space, %d more blocks needed: %w", n, ErrTooSmall)
		}
		r.len = min(r.len, n)
		if err := a.mark(r.start, r.len); err != nil {
			return nil, err
		}
		out = append(out, r)
		n -= r.len
		pos = r.end()
	}
	return out, nil
}

// usedIn returns the used blocks within [start, end), in order.
func (a *allocator) usedIn(start, end uint64) []run {
	var out []run
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > start })
	for ; i < len(a.used) && a.used[i].start < end; i++ {
		s, e := max(a.used[i].start, start), min(a.used[i].end(), end)
		out = append(out, run{s, e - s})
	}
	return out
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gptdev"
	"github.com/plinth-os/plinth/internal/guid"
)

// session applies the ops to a table in memory; nothing is written until
// all of them have succeeded.
type session struct {
	disk    *gptdev.Disk
	out     io.Writer
	t       *gpt.Table // nil until an op needs it
	zap     bool       // -Z was given: wipe before writing
	dirty   bool       // something must be written
	lastNew int        // partition made by the latest -n, for number 0
	// fromDisk is set when t was read from the disk (not -o, not blank).
	fromDisk bool
	// problems is set when -v found problems.
	problems bool
}

// table returns the table ops work on, reading it on first use.
func (s *session) table() (*gpt.Table, error) {
	if s.t != nil {
		return s.t, nil
	}
	if s.zap {
		return s.fresh()
	}
	t, err := s.disk.Read()
	switch {
	case err == nil:
		if t.FromBackup {
			fmt.Fprintf(s.out, "Warning: the primary GPT of %s is damaged; using the backup.\n"+
				"Any change (even -U R) rewrites both copies.\n", s.disk.Path())
		}
		s.t, s.fromDisk = t, true
		return t, nil
	case errors.Is(err, gpt.ErrNotFound):
		blank, berr := s.blank()
		if berr != nil {
			return nil, berr
		}
		if blank {
			return s.fresh()
		}
		return nil, fmt.Errorf("%w; %s holds an MBR or a damaged GPT: use -o to start a new table, or -Z to wipe it first", err, s.disk.Path())
	}
	return nil, err
}

func (s *session) fresh() (*gpt.Table, error) {
	t, err := s.disk.New()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(s.out, "Creating new GPT entries in memory.")
	s.t, s.fromDisk = t, false
	return t, nil
}

// blank reports whether the disk has neither an MBR signature nor a GPT
// signature in either header: only then does sgdisk's "start a new table
// silently" behaviour apply.
func (s *session) blank() (bool, error) {
	ss := int64(s.disk.SectorSize())
	b := make([]byte, 2*ss)
	if _, err := s.disk.ReadAt(b, 0); err != nil {
		return false, fmt.Errorf("read %s: %w", s.disk.Path(), err)
	}
	last := make([]byte, 8)
	if _, err := s.disk.ReadAt(last, (s.disk.Size()/ss-1)*ss); err != nil {
		return false, fmt.Errorf("read %s: %w", s.disk.Path(), err)
	}
	mbr := b[510] == 0x55 && b[511] == 0xAA
	return !mbr && !bytes.HasPrefix(b[ss:], []byte("EFI PART")) && string(last) != "EFI PART", nil
}

// apply runs one op.
func (s *session) apply(o op) error {
	switch o.flag {
	case 'Z':
		s.zap, s.dirty, s.t = true, true, nil
		return nil
	case 'o':
		s.t = nil
		_, err := s.fresh()
		s.dirty = true
		return err
	}
	t, err := s.table()
	if err != nil {
		return err
	}
	switch o.flag {
	case 'p':
		printTable(s.out, s.disk, t)
		return nil
	case 'v':
		s.verify(t)
		return nil
	case 'i':
		p := t.Partition(o.num)
		if p == nil {
			return fmt.Errorf("partition %d does not exist", o.num)
		}
		printInfo(s.out, t, p)
		return nil
	case 'a':
		// Only steers later -n; not stored on disk.
		t.Alignment = o.value
		return nil
	}
	s.dirty = true
	switch o.flag {
	case 'n':
		return s.newPartition(t, o)
	case 'd':
		return t.Delete(o.num)
	case 'U':
		t.DiskGUID = o.guid
		if o.random {
			t.DiskGUID = guid.Random()
		}
		return t.Validate()
	}
	num := o.num
	if num == 0 {
		if num = s.lastNew; num == 0 {
			return fmt.Errorf("partition number 0 means the one just created by -n, and there is none")
		}
	}
	p := t.Partition(num)
	if p == nil {
		return fmt.Errorf("partition %d does not exist", num)
	}
	old := *p
	switch o.flag {
	case 't':
		p.Type = o.typ
	case 'c':
		p.Name = o.name
	case 'u':
		p.GUID = o.guid
		if o.random {
			p.GUID = guid.Random()
		}
	}
	if err := t.Validate(); err != nil {
		*p = old
		return err
	}
	return nil
}

// newPartition implements -n N:START:END the way sgdisk places partitions.
func (s *session) newPartition(t *gpt.Table, o op) error {
	num := o.num
	if num == 0 {
		if num = t.NextNumber(); num == 0 {
			return fmt.Errorf("all %d partition entries are in use", t.Entries)
		}
	}
	if t.Partition(num) != nil {
		return fmt.Errorf("partition %d already exists", num)
	}
	ss := uint64(t.SectorSize)
	sectors := func(p position) uint64 {
		if p.bytes {
			if p.sign != 0 {
				return (p.n + ss - 1) / ss // a size: round up
			}
			return p.n / ss // a place: sgdisk rounds down
		}
		return p.n
	}
	// sgdisk's default start is the start of the largest free run;
	// +SIZE counts from there.
	var start uint64
	if o.start.isDefault() || o.start.sign == '+' {
		largest, ok := t.LargestFree()
		if !ok {
			return fmt.Errorf("no free space left")
		}
		start = largest.First + sectors(o.start)
		if a := max(t.Alignment, 1); o.start.isDefault() && (start+a-1)/a*a > largest.Last {
			return fmt.Errorf("the largest free space (sectors %d-%d) holds no %d-sector boundary; give a start or use -a 1",
				largest.First, largest.Last, a)
		}
	} else {
		start = sectors(o.start)
	}
	if a := max(t.Alignment, 1); start%a != 0 {
		aligned := (start + a - 1) / a * a
		if !o.start.isDefault() {
			fmt.Fprintf(s.out, "Information: Moved requested sector from %d to %d in\norder to align on %d-sector boundaries.\n", start, aligned, a)
		}
		start = aligned
	}
	var end uint64
	switch {
	case o.end.isDefault() || o.end.sign == '-':
		free, err := t.FreeEnd(start)
		if err != nil {
			return err
		}
		end = free
		if n := sectors(o.end); n > 0 {
			if n > free-start {
				return fmt.Errorf("only %d sectors free after sector %d", free-start+1, start)
			}
			end = free - n
		}
	case o.end.sign == '+':
		end = start + sectors(o.end) - 1
	default:
		end = sectors(o.end)
	}
	err := t.Add(gpt.Partition{Number: num, Type: gpt.TypeLinuxFS, FirstLBA: start, LastLBA: end})
	if err != nil {
		return err
	}
	s.lastNew = num
	return nil
}

func (s *session) verify(t *gpt.Table) {
	var err error
	if s.dirty || !s.fromDisk {
		err = t.Validate() // the table in memory, as it would be written
	} else {
		err = s.disk.Verify()
	}
	printVerify(s.out, t, err)
	if err != nil {
		s.problems = true
	}
}

package vfat

import (
	"encoding/binary"
	"time"
)

// Directory entry attributes.
const (
	attrReadOnly  = 0x01
	attrHidden    = 0x02
	attrSystem    = 0x04
	attrVolumeID  = 0x08
	attrDirectory = 0x10
	attrArchive   = 0x20
	attrLongName  = attrReadOnly | attrHidden | attrSystem | attrVolumeID
)

// Short-entry flags in the NT reserved byte: Windows stores all-lower-case
// base names or extensions this way instead of with a long name.
const (
	ntLowerBase = 0x08
	ntLowerExt  = 0x10
)

// dosTime is a timestamp in directory-entry form.
type dosTime struct {
	date, time uint16
	tenths     byte // creation time: 10 ms units within the 2 s of time
}

// toDOSTime converts t, clamped to the years FAT can hold (1980-2107).
func toDOSTime(t time.Time) dosTime {
	y := t.Year()
	switch {
	case y < 1980:
		return dosTime{date: 1<<5 | 1}
	case y > 2107:
		return dosTime{date: 127<<9 | 12<<5 | 31, time: 23<<11 | 59<<5 | 29, tenths: 199}
	}
	return dosTime{
		date:   uint16(y-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day()),
		time:   uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2),
		tenths: byte(t.Second()%2*100 + t.Nanosecond()/10_000_000),
	}
}

// fromDOSTime converts a directory-entry date and time; invalid fields
// yield the nearest time time.Date normalises them to.
func fromDOSTime(date, tm uint16) time.Time {
	return time.Date(1980+int(date>>9), time.Month(date>>5&0xF), int(date&0x1F),
		int(tm>>11), int(tm>>5&0x3F), int(tm&0x1F)*2, 0, time.UTC)
}

// putShortEntry writes a short (8.3) directory entry into e.
func putShortEntry(e []byte, name [shortNameLen]byte, attr byte, cluster, size uint32, ts dosTime) {
	copy(e[0:11], name[:])
	e[11] = attr
	e[12] = 0
	e[13] = ts.tenths
	binary.LittleEndian.PutUint16(e[14:], ts.time) // creation
	binary.LittleEndian.PutUint16(e[16:], ts.date)
	binary.LittleEndian.PutUint16(e[18:], ts.date) // last access
	binary.LittleEndian.PutUint16(e[20:], uint16(cluster>>16))
	binary.LittleEndian.PutUint16(e[22:], ts.time) // modification
	binary.LittleEndian.PutUint16(e[24:], ts.date)
	binary.LittleEndian.PutUint16(e[26:], uint16(cluster))
	binary.LittleEndian.PutUint32(e[28:], size)
}

package updatechannel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/strictjson"
)

// Names of the files Download keeps beside dst.
const (
	// PartSuffix: the bundle as far as it is downloaded.
	PartSuffix = ".part"
	// MetaSuffix: what the .part belongs to and how to resume it.
	MetaSuffix = ".part.meta"
	// RejectedSuffix: the last channel whose bundle had the wrong
	// SHA-256. Delete it to let Download try that channel again.
	RejectedSuffix = ".rejected"
)

// partMeta is the .part.meta file. The first three fields say which
// bundle the .part holds the beginning of; the validator of the response
// that started it makes the If-Range of a resume.
type partMeta struct {
	URL          string `json:"url"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}

func (m partMeta) belongsTo(ch Channel) bool {
	return m.URL == ch.URL && m.Size == ch.Size && m.SHA256 == ch.SHA256
}

// validator is the If-Range value for a resume, "" when there is none.
// If-Range needs a strong validator: a weak ETag does not qualify.
func (m partMeta) validator() string {
	if m.ETag != "" && !strings.HasPrefix(m.ETag, "W/") {
		return m.ETag
	}
	return m.LastModified
}

// part is an open .part file and the SHA-256 of what it holds.
type part struct {
	dst  string
	ch   Channel
	f    *os.File
	h    hash.Hash
	n    int64 // bytes in the file
	meta partMeta
	// resumed: the bytes came from more than one response, so a wrong
	// digest may be a mix-up or damage rather than a wrong file.
	resumed bool
}

// openPart opens dst's .part, keeping what it holds if its .part.meta
// says it belongs to ch. The bytes kept are hashed again rather than
// trusted from an earlier run.
func openPart(dst string, ch Channel) (*part, error) {
	f, err := os.OpenFile(dst+PartSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("updatechannel: %w", err)
	}
	p := &part{dst: dst, ch: ch, f: f, h: sha256.New()}
	m, ok := readMeta(dst + MetaSuffix)
	if !ok || !m.belongsTo(ch) {
		return p, p.restart()
	}
	n, err := io.Copy(p.h, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("updatechannel: read %s: %w", f.Name(), err)
	}
	if n > ch.Size {
		return p, p.restart()
	}
	p.n, p.meta, p.resumed = n, m, n > 0
	return p, nil
}

// readMeta reads a .part.meta; a missing or damaged one is no meta.
func readMeta(path string) (partMeta, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return partMeta{}, false
	}
	var m partMeta
	if strictjson.Decode(b, &m) != nil {
		return partMeta{}, false
	}
	return m, true
}

// restart empties the .part and forgets its meta.
func (p *part) restart() error {
	if err := os.Remove(p.dst + MetaSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("updatechannel: %w", err)
	}
	if err := p.f.Truncate(0); err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	p.h.Reset()
	p.n, p.meta, p.resumed = 0, partMeta{}, false
	return nil
}

// begin empties the .part for a response that sends the bundle from its
// first byte, and records that response's validator.
func (p *part) begin(resp *http.Response) error {
	if err := p.restart(); err != nil {
		return err
	}
	p.meta = partMeta{
		URL: p.ch.URL, Size: p.ch.Size, SHA256: p.ch.SHA256,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
	}
	b, err := strictjson.Encode(p.meta)
	if err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	if err := os.WriteFile(p.dst+MetaSuffix, b, 0o600); err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	return nil
}

// Write appends to the .part and to its digest.
func (p *part) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("updatechannel: write %s: %w", p.f.Name(), err)
	}
	return n, nil
}

func (p *part) digest() string { return hex.EncodeToString(p.h.Sum(nil)) }

// finish makes the complete, checked .part the bundle at dst, durably:
// after a power loss there is either the old state or the new file.
func (p *part) finish() error {
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("updatechannel: sync %s: %w", p.f.Name(), err)
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("updatechannel: close %s: %w", p.f.Name(), err)
	}
	p.f = nil
	if err := os.Rename(p.dst+PartSuffix, p.dst); err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	if err := syncDir(filepath.Dir(p.dst)); err != nil {
		return err
	}
	if err := os.Remove(p.dst + MetaSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("updatechannel: %w", err)
	}
	return nil
}

// discard deletes the .part and its meta.
func (p *part) discard() error {
	p.close()
	for _, name := range []string{p.dst + PartSuffix, p.dst + MetaSuffix} {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("updatechannel: %w", err)
		}
	}
	return nil
}

// close closes the .part and keeps it, for a later resume.
func (p *part) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// release closes the .part when Download returns: one that holds
// nothing is deleted, so that a failed check leaves no empty files.
func (p *part) release() {
	p.close()
	if p.n == 0 {
		os.Remove(p.dst + PartSuffix)
		os.Remove(p.dst + MetaSuffix)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("updatechannel: sync %s: %w", dir, err)
	}
	return nil
}

// fileDigest returns the SHA-256 of the file at path if it is size bytes
// long; ok is false if it is missing or of another length.
func fileDigest(path string, size int64) (digest string, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("updatechannel: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		return "", false, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", false, fmt.Errorf("updatechannel: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// checkRejected fails with ErrRejected if ch is the channel recorded in
// dst's .rejected file.
func checkRejected(dst string, ch Channel) error {
	b, err := os.ReadFile(dst + RejectedSuffix)
	if err != nil {
		return nil // none recorded (or unreadable: then nothing is known)
	}
	var r Channel
	if strictjson.Decode(b, &r) != nil || r != ch {
		return nil
	}
	return fmt.Errorf("%w: the bundle of %s at %s had the wrong SHA-256; delete %s to try it again",
		ErrRejected, ch.Version, ch.URL, dst+RejectedSuffix)
}

// reject records ch in dst's .rejected file.
func reject(dst string, ch Channel) error {
	b, err := strictjson.Encode(ch)
	if err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	if err := os.WriteFile(dst+RejectedSuffix, b, 0o600); err != nil {
		return fmt.Errorf("updatechannel: %w", err)
	}
	return nil
}

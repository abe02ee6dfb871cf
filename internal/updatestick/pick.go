package updatestick

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/bundle"
)

// Pick chooses the bundle to install from cands (as Bundles returns
// them): the newest of those that are for product, newer than installed,
// allowed to update it (bundle.Manifest.CheckUpdate: MinVersion) and not
// a version that failed its trial on this appliance before (failed; nil
// means none did). ok is false when none qualifies. Every other candidate
// is rejected, in the order of cands, with the reason. When the newest
// versions cannot be ordered against each other (two builds from
// different branches), none is picked: guessing could install the one
// nobody meant.
func Pick(cands []Candidate, product, installed string, failedBefore func(version string) string) (best Candidate, ok bool, rejected []Rejected) {
	why := make([]*bundle.Refusal, len(cands))
	for i, c := range cands {
		why[i] = c.Manifest.Applicable(product, installed, failedBefore)
	}
	b := newest(cands, why)
	for i, c := range cands {
		if i != b {
			rejected = append(rejected, Rejected{Path: c.Path, Version: c.Manifest.Version, Refusal: *why[i]})
		}
	}
	if b < 0 {
		return Candidate{}, false, rejected
	}
	return cands[b], true, rejected
}

// newest returns the index of the newest candidate whose why is nil, or
// -1, and sets why for the others that had none.
func newest(cands []Candidate, why []*bundle.Refusal) int {
	ok := make([]bool, len(cands))
	for i := range cands {
		ok[i] = why[i] == nil
	}
	var top []int // no other suitable candidate is newer
	for i := range cands {
		if !ok[i] {
			continue
		}
		if j := newerThan(cands, ok, i); j >= 0 {
			why[i] = &bundle.Refusal{Code: bundle.RefusedSuperseded, Reason: fmt.Sprintf("%s is older than %s in %s", version(cands[i]), version(cands[j]), cands[j].Path)}
			continue
		}
		top = append(top, i)
	}
	if len(top) == 0 {
		return -1
	}
	for _, t := range top[1:] {
		if c, err := bundle.CompareVersions(version(cands[t]), version(cands[top[0]])); err != nil || c != 0 {
			for k, u := range top {
				other := cands[top[(k+1)%len(top)]]
				why[u] = &bundle.Refusal{Code: bundle.RefusedVersion, Reason: fmt.Sprintf("%s cannot be ordered against %s in %s: leave only the one to install on the stick", version(cands[u]), version(other), other.Path)}
			}
			return -1
		}
	}
	for _, t := range top[1:] {
		why[t] = &bundle.Refusal{Code: bundle.RefusedSuperseded, Reason: fmt.Sprintf("the same version as %s, which is used", cands[top[0]].Path)}
	}
	return top[0]
}

// newerThan returns the index of a suitable candidate newer than cands[i],
// or -1.
func newerThan(cands []Candidate, ok []bool, i int) int {
	for j := range cands {
		if ok[j] && j != i {
			if c, err := bundle.CompareVersions(version(cands[j]), version(cands[i])); err == nil && c > 0 {
				return j
			}
		}
	}
	return -1
}

func version(c Candidate) string { return c.Manifest.Version }

package bundle

import (
	"errors"
	"fmt"
	"strings"
)

// RefusalCode says, for programs, why a bundle is not applied: it is the
// code field of the update-refused event. Reason says the same for
// people.
type RefusalCode string

// The refusal codes. A bundle refused for any of them left every slot as
// it was.
const (
	RefusedNoKey        RefusalCode = "no-update-key"      // the running image trusts no update key
	RefusedUntrusted    RefusalCode = "untrusted-signer"   // signed, but not by a trusted key
	RefusedSignature    RefusalCode = "bad-signature"      // changed after it was signed
	RefusedDamaged      RefusalCode = "damaged"            // truncated, malformed, a part not as signed
	RefusedProduct      RefusalCode = "other-product"      // for another product
	RefusedIntermediate RefusalCode = "needs-intermediate" // MinVersion is newer than the running version
	RefusedParts        RefusalCode = "unknown-parts"      // parts this version does not apply
	RefusedVersion      RefusalCode = "incomparable"       // versions that cannot be ordered
	RefusedNotNewer     RefusalCode = "not-newer"          // the running version
	RefusedDowngrade    RefusalCode = "downgrade"          // older, and not marked Downgrade
	RefusedFailedBefore RefusalCode = "failed-before"      // failed its trial on this machine
	RefusedSuperseded   RefusalCode = "superseded"         // another bundle offered with it is chosen
	RefusedBusy         RefusalCode = "busy"               // another update is being applied
)

// Refusal is why a bundle is not applied.
type Refusal struct {
	Code   RefusalCode
	Reason string // for people: what is wrong and what to do
}

func (r *Refusal) Error() string { return r.Reason }

// RefusalOf sorts an error from Open or from reading a part into what
// people can do about it. Errors of no kind of this package are damage
// too: a bundle that cannot be read cannot be applied.
func RefusalOf(err error) *Refusal {
	switch {
	case errors.Is(err, ErrUntrusted):
		return &Refusal{RefusedUntrusted, "not signed with an update key this appliance trusts: " + detail(err, ErrUntrusted)}
	case errors.Is(err, ErrSignature):
		return &Refusal{RefusedSignature, "damaged, or changed after it was signed: " + detail(err, ErrSignature)}
	case errors.Is(err, ErrPart):
		return &Refusal{RefusedDamaged, "damaged, or changed after it was signed: " + detail(err, ErrPart)}
	case errors.Is(err, ErrTruncated):
		return &Refusal{RefusedDamaged, "incomplete (was the copy or download interrupted? fetch it again): " + detail(err, ErrTruncated)}
	case errors.Is(err, ErrFormat):
		return &Refusal{RefusedDamaged, "not a valid update bundle: " + detail(err, ErrFormat)}
	}
	return &Refusal{RefusedDamaged, "cannot be read: " + err.Error()}
}

// detail is err's message without "bundle: " and the text of its kind,
// which the refusal says in other words.
func detail(err, kind error) string {
	msg := strings.TrimPrefix(err.Error(), "bundle: ")
	return strings.TrimPrefix(msg, strings.TrimPrefix(kind.Error(), "bundle: ")+": ")
}

// Applicable says why the bundle m may not be applied to an appliance of
// product that runs version running, or returns nil. failedBefore
// returns why a version failed its trial on this machine, "" when it did
// not (nil: none did); such a version is not tried again. It is the one policy every
// source of updates follows: the channel, a stick, the local command.
func (m *Manifest) Applicable(product, running string, failedBefore func(version string) string) *Refusal {
	if m.Product != product {
		return &Refusal{RefusedProduct, fmt.Sprintf("for another product: this is %s %s, and this appliance runs %s", m.Product, m.Version, product)}
	}
	if err := m.CheckUpdate(product, running); err != nil {
		return &Refusal{RefusedIntermediate, "cannot update the running version: " + strings.TrimPrefix(err.Error(), "bundle: ")}
	}
	if len(m.Parts) != 1 || m.Parts[0].Name != PartRuntime {
		return &Refusal{RefusedParts, fmt.Sprintf("its parts are not what this version applies (one part, %s)", PartRuntime)}
	}
	c, err := CompareVersions(m.Version, running)
	switch {
	case err != nil:
		return &Refusal{RefusedVersion, fmt.Sprintf("cannot tell whether %s is newer than the running %s: %v", m.Version, running, err)}
	case c == 0:
		return &Refusal{RefusedNotNewer, fmt.Sprintf("not newer: %s is the running version", m.Version)}
	case c < 0 && !m.Downgrade:
		return &Refusal{RefusedDowngrade, fmt.Sprintf("a downgrade: %s is older than the running %s and its signer did not allow downgrades", m.Version, running)}
	}
	if failedBefore == nil {
		return nil
	}
	if why := failedBefore(m.Version); why != "" {
		return &Refusal{RefusedFailedBefore, fmt.Sprintf("%s failed its trial on this appliance before (%s) and is not tried again; publish a newer version", m.Version, why)}
	}
	return nil
}

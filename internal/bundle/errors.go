package bundle

import (
	"errors"
	"fmt"
)

// Kinds of error, for errors.Is: what a caller does next depends on them
// (a truncated download can be fetched again, a bundle from an untrusted
// signer cannot be made good). The message of each error says what
// exactly is wrong; it does not repeat the kind.
var (
	// ErrFormat: not a bundle, a format this package does not read, a
	// damaged header, a manifest that breaks the rules, data after the
	// last part.
	ErrFormat = errors.New("bundle: invalid bundle")
	// ErrTruncated: the stream ended before the end of the bundle.
	ErrTruncated = errors.New("bundle: truncated")
	// ErrSignature: the signature is malformed or does not match the
	// manifest.
	ErrSignature = errors.New("bundle: bad signature")
	// ErrUntrusted: the signature is good, but its signer is not trusted.
	ErrUntrusted = errors.New("bundle: untrusted signer")
	// ErrPart: a part's bytes do not have the SHA-256 the manifest gives.
	ErrPart = errors.New("bundle: part does not match the manifest")
)

// kindError is an error of one of the kinds above whose text is its own.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// errorf returns an error of kind whose text starts with "bundle: ".
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: "bundle: " + fmt.Sprintf(format, args...)}
}

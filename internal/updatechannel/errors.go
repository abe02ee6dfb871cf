package updatechannel

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/plinth-os/plinth/internal/httpretry"
)

// Kinds of final download error, for errors.Is. Each error's message says
// what exactly went wrong and where.
var (
	// ErrDigest: the downloaded file does not have the channel's SHA-256.
	// The .part is deleted and the channel recorded as rejected.
	ErrDigest = errors.New("updatechannel: bundle does not match the channel's sha256")
	// ErrRejected: an earlier download of this same channel failed its
	// digest check (see Download); nothing was downloaded.
	ErrRejected = errors.New("updatechannel: channel rejected earlier")
	// ErrSize: the server has a file of another length than the channel
	// says.
	ErrSize = errors.New("updatechannel: bundle size does not match the channel")
)

// StatusError is an HTTP answer that ends a check or a download: any
// status but success for a channel file; for a bundle, a 4xx other than
// 408 and 429 at once, or a 5xx, 408 or 429 once retries are used up.
// Its message is the status, the URL and what that means for the
// update: "404 Not Found at https://…: the channel names a bundle the
// server does not have". Check and Download return it wrapped.
type StatusError struct {
	URL        string
	StatusCode int
	Status     string // as the server sent it, e.g. "404 Not Found"
	channel    bool   // the URL is the channel file's, not the bundle's
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s at %s: %s", e.Status, e.URL, e.meaning())
}

// meaning says what the status means for the appliance's update.
func (e *StatusError) meaning() string {
	switch c := e.StatusCode; {
	case (c == http.StatusNotFound || c == http.StatusGone) && e.channel:
		return "no channel file there (is the channel URL right?)"
	case c == http.StatusNotFound || c == http.StatusGone:
		return "the channel names a bundle the server does not have"
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return "the server refuses access"
	case httpretry.Transient(c):
		return "the server could not answer"
	}
	return "unexpected answer"
}

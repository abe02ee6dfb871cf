// Package updatechannel is how an appliance learns of new versions of its
// product and downloads their update bundles over HTTP or HTTPS.
//
// # The channel file
//
// The vendor publishes a channel file at a URL that plinth.yaml names: a
// small JSON document, served as a static file by any HTTP server or CDN,
// that says which version is the latest and where its bundle is. mkiso
// can write one beside each bundle it builds (Marshal):
//
//	{
//	  "product": "Acme DB",
//	  "version": "v1.4.2",
//	  "url": "acme-db-v1.4.2.plinth",
//	  "size": 31461412,
//	  "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//	}
//
// Every field is required and no other field is allowed (a reader that
// skipped a field it did not know could act on half of what the vendor
// meant):
//
//   - product: the product's name, as in plinth.yaml and the bundle's
//     manifest; 1 to 128 printable characters.
//   - version: the latest version, as in the bundle's manifest; 1 to 128
//     printable characters without spaces.
//   - url: where the bundle is. A relative URL is resolved against the
//     URL the channel file was served from (after redirects, as a browser
//     does), so a channel file and its bundle can move together. After
//     resolving it must be http or https and name a host.
//   - size: the bundle file's length in bytes, 1 to MaxSize.
//   - sha256: the SHA-256 of the whole bundle file, 64 lowercase hex
//     digits (as sha256sum prints it).
//
// # What the channel file is trusted for
//
// Nothing about the channel file is signed, and nothing needs to be: the
// bundle carries its own signature, which the appliance checks before it
// uses a byte of it (package bundle). The channel's size and SHA-256 only
// make the download itself reliable: they let a download resume after a
// reboot, tell a finished download from a truncated one, and stop an
// appliance from fetching a wrong or tampered file again and again. A
// forged channel file can at most point at a file that fails those
// checks or the signature check, and MaxSize bounds what it can make the
// appliance download.
//
// # Downloads
//
// Download writes to dst+".part" and renames that to dst only once its
// size and SHA-256 match the channel. Beside the .part it keeps
// dst+".part.meta", the URL, size and digest the .part belongs to and
// the validator (ETag or Last-Modified) of the response that started it,
// so that a later Download, after a reboot too, continues where the
// last one stopped with a Range request guarded by If-Range. Network
// errors, stalls, 5xx, 408 and 429 are retried with exponential backoff
// and jitter; other answers are final. A bundle whose digest is wrong is
// deleted, and its channel remembered in dst+".rejected", so that a
// tampered mirror is not downloaded again and again; see Download.
package updatechannel

// Package bundle writes and reads Plinth update bundles: one file,
// conventionally <product>-<version>.plinth (FileName), that carries a new
// runtime UKI and whatever else an update needs, signed by the product's
// update key. mkiso writes bundles (Write); an appliance reads one from a
// URL or a USB stick (Open, then Next or Extract), checks that it applies
// (Manifest.CheckUpdate) and stages its parts before it switches slots.
//
// # Why this layout
//
// A bundle is read as a stream, from a network connection or a slow stick,
// and its parts may be gigabytes. So the small things come first: a fixed
// header, the manifest and a detached signature over the manifest. The
// manifest lists every part with its size and SHA-256, so once the
// signature is checked (before a single byte of a part is read) every
// part's content is pinned, and each part is checked as it streams past.
// Nothing has to be held in memory, read twice, or seeked. A reader that
// copies a part into a staging file learns at the end of that part whether
// it was good, and must only make it live after that.
//
// The header is not signed, and need not be: it only tells the reader how
// many bytes to read for the manifest and the signature, and a wrong
// length makes the signature check fail. Its CRC-32 is there so that a
// damaged header is reported as damage rather than as a bad signature.
// The format version is in the header, so a reader knows how to parse
// what follows, and again in the manifest, so that it is signed too.
//
// # Layout, format version 1
//
// All integers are unsigned and big-endian. Offsets are from the start of
// the file.
//
//	Offset    Size  Field
//	0         8     magic: the ASCII bytes "PLBUNDLE"
//	8         4     format version: 1 (FormatVersion)
//	12        4     M, the length of the manifest: 1 to MaxManifestSize
//	16        4     S, the length of the signature: 1 to MaxSignatureSize
//	20        4     CRC-32 (IEEE 802.3, as zlib and gzip use) of bytes 0 to 19
//	24        M     manifest: a JSON object in UTF-8 (type Manifest)
//	24+M      S     signature: DER, CMS ContentInfo of type SignedData
//	24+M+S    ...   the parts, one after the other in manifest order, each
//	                exactly as long as the manifest's size for it, without
//	                padding
//
// Nothing follows the last part. A stream that ends early, or goes on
// after the last part, is not a valid bundle.
//
// The manifest, with two spaces of indentation and a final newline as
// Write makes it:
//
//	{
//	  "format": 1,
//	  "product": "Acme DB",
//	  "version": "v1.4.2",
//	  "built": "2025-03-04T05:06:07Z",
//	  "minVersion": "v1.2.0",
//	  "parts": [
//	    {
//	      "name": "runtime.efi",
//	      "size": 31457280,
//	      "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//	    }
//	  ]
//	}
//
// Readers refuse fields they do not know: a field that matters to security
// and that an older reader skipped would be worse than no update. A new
// field therefore comes with a new format version. Part names are 1 to 64
// characters of a-z, 0-9, '.', '_' and '-', starting with a letter or a
// digit, so that they are safe as file names; there are 1 to MaxParts
// parts and no name appears twice. "sha256" is 64 lowercase hex digits.
// "downgrade": true (optional, left out when false) is the signer's leave
// to install the bundle over a newer version.
//
// The signature is CMS (RFC 5652) SignedData, version 1, as package
// pkcs7sign makes it: one signer whose certificate is embedded, SHA-256,
// RSA PKCS#1 v1.5, content type id-data, content detached (the M manifest
// bytes, exactly), signed attributes contentType, messageDigest and
// signingTime, the signing time being the manifest's build time. It is
// standard: `openssl cms -verify -binary -inform DER -content manifest.json
// -in signature.der -CAfile update.crt -purpose any` checks it.
//
// # Trust
//
// The appliance trusts a bundle whose signer's certificate is one of the
// certificates built into its runtime, or is issued by one of them. As with
// Secure Boot, validity periods are not checked: an appliance may have no
// trustworthy clock, and a bundle must not stop installing because a
// battery died. To stop trusting a key, ship a runtime that no longer
// carries its certificate.
//
// Only the signer's certificate is embedded, so it must be one of the
// trusted certificates or be issued directly by one: a vendor may trust a
// CA of its own and sign with keys it issues.
//
// A reader accepts exactly the signature bytes Write makes for the
// manifest, signer and signing time, and the signing time must be the
// manifest's build time. CMS leaves a few fields outside what is signed
// (the list of digest algorithms, the parameters of algorithm
// identifiers); requiring the one encoding closes them too. So every byte
// of a bundle is signed, or checked against what is: changing any one of
// them makes Open, or the reader of the part it is in, fail.
package bundle

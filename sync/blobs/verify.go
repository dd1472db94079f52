package blobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/fieldsync/fieldsync/domain"
)

// sniffLen is how many leading bytes decide a photo's type (mimetype's default read limit).
const sniffLen = 3072

// exifLen is how many leading bytes are kept for EXIF: a JPEG's APP1 segment is at most 64 KiB
// and comes first.
const exifLen = 128 << 10

// allowedTypes are the sniffed types a photo may have (HEIC/HEIF image sequences are what some
// phones write for live photos and bursts).
var allowedTypes = []string{TypeJPEG, TypePNG, TypeWebP, TypeHEIC, "image/heic-sequence", TypeHEIF,
	"image/heif-sequence", TypePDF}

// Field-level codes of the upload errors (domain.Error.Fields["sha256"] and ["body"]).
const (
	FieldHashMismatch = "hash_mismatch" // the bytes do not hash to the address
	FieldNotSHA256    = "sha256"        // the address is not 64 lowercase hex digits
	FieldIncomplete   = "incomplete"    // the body ended before its Content-Length
)

// errTooLarge is what the inspecting reader returns once the limit is crossed.
var errTooLarge = errors.New("photo is above the size limit")

// inspector reads an upload on its way to storage: it counts, hashes, refuses to go past limit
// bytes and keeps the first exifLen bytes for sniffing and EXIF.
type inspector struct {
	src    io.Reader
	limit  int64
	n      int64
	sum    hash.Hash
	prefix []byte
	err    error // errTooLarge or the source's error (io.EOF excluded)
}

func newInspector(src io.Reader, limit int64) *inspector {
	return &inspector{src: src, limit: limit, sum: sha256.New()}
}

// inspect starts reading src (at most limit bytes): it returns the inspector, to be read on, the
// first bytes it read (head) and the content type they show. Errors: too_large;
// unsupported_media_type (sniff); the source's.
func inspect(src io.Reader, limit int64) (in *inspector, head []byte, contentType string, err error) {
	in = newInspector(src, limit)
	if head, err = in.head(); err != nil {
		return nil, nil, "", in.readErr(limit, err)
	}
	contentType, err = sniff(head)
	return in, head, contentType, err
}

func (in *inspector) Read(p []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	// Never read more than one byte past the limit: that byte proves it is crossed.
	if room := in.limit - in.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := in.src.Read(p)
	if in.n+int64(n) > in.limit {
		in.err = errTooLarge
		return 0, in.err
	}
	in.n += int64(n)
	in.sum.Write(p[:n])
	if keep := exifLen - len(in.prefix); keep > 0 {
		in.prefix = append(in.prefix, p[:min(n, keep)]...)
	}
	if err != nil && err != io.EOF {
		in.err = err
	}
	return n, err
}

// head reads the first sniffLen bytes (fewer for a smaller photo) and returns them; they are
// hashed and counted like the rest.
func (in *inspector) head() ([]byte, error) {
	buf := make([]byte, sniffLen)
	n, err := io.ReadFull(in, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:n], err
}

// hash returns the lowercase hex SHA-256 of everything read so far.
func (in *inspector) hash() string { return hex.EncodeToString(in.sum.Sum(nil)) }

// sniff returns the type of a photo from its first bytes, or an unsupported error naming what
// it looks like instead.
func sniff(head []byte) (string, error) {
	m := mimetype.Detect(head)
	for _, t := range allowedTypes {
		if m.Is(t) {
			return t, nil
		}
	}
	return "", &domain.Error{Code: domain.CodeUnsupported,
		Message: fmt.Sprintf("a photo must be JPEG, PNG, WebP, HEIC/HEIF or PDF; these bytes are %s", baseType(m.String())),
		Fields:  map[string]string{"body": "type"}}
}

func baseType(mime string) string {
	t, _, _ := strings.Cut(mime, ";")
	return t
}

// tooLarge is the error of a photo above limit bytes.
func tooLarge(limit int64) error {
	return domain.Errorf(domain.CodeTooLarge, "a photo holds at most %d bytes", limit)
}

// readErr turns an error met while reading an upload into the answer: too large, the client's
// body cut short, or the error as it is.
func (in *inspector) readErr(limit int64, err error) error {
	switch {
	case errors.Is(in.err, errTooLarge) || errors.Is(err, errTooLarge):
		return tooLarge(limit)
	case errors.Is(in.err, io.ErrUnexpectedEOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalid("the upload ended before its declared length", map[string]string{"body": FieldIncomplete})
	}
	return err
}

// checkHash reports a mismatch between the address and the bytes.
func checkHash(want, got string) error {
	if want != got {
		return domain.Invalid("the bytes do not hash to the address: nothing was kept",
			map[string]string{"sha256": FieldHashMismatch})
	}
	return nil
}

// CheckHash returns nil when h is a SHA-256 in lowercase hex, and an invalid error naming the
// field "sha256" otherwise.
func CheckHash(h string) error {
	if !domain.IsSHA256Hex(h) {
		return domain.Invalid("a photo is addressed by the SHA-256 of its bytes: 64 lowercase hex digits",
			map[string]string{"sha256": FieldNotSHA256})
	}
	return nil
}

// isAllowed reports whether t is one of the types a photo may have.
func isAllowed(t string) bool { return slices.Contains(allowedTypes, t) }

// prefixReader returns the kept prefix as a reader (for EXIF).
func (in *inspector) prefixReader() io.Reader { return bytes.NewReader(in.prefix) }

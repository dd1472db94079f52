package blobs

import (
	"context"
	"errors"
	"io"

	"github.com/fieldsync/fieldsync/domain"
)

// errNoPhoto is the one answer to a photo that does not exist and to a photo the caller may not
// read: the same code and message, so that nobody learns whether a hash is stored.
func errNoPhoto() error { return domain.Errorf(domain.CodeNotFound, "no such photo") }

// stored returns the metadata of the photo h. Errors: invalid for a malformed hash; not_found;
// unavailable.
func (s *Service) stored(ctx context.Context, h string) (Blob, error) {
	if err := CheckHash(h); err != nil {
		return Blob{}, err
	}
	b, err := s.cfg.Meta.Get(ctx, h)
	if errors.Is(err, domain.ErrNotFound) {
		return Blob{}, errNoPhoto()
	}
	return b, err
}

// Readable returns the photo h when p may read it: p uploaded it, or a live record that p can
// see (they share a visibility token, domain.Principal.Tokens) refers to it. Errors: not_found
// when the photo does not exist or p may not read it (never forbidden: that would reveal that it
// exists); invalid for a malformed hash; unavailable.
func (s *Service) Readable(ctx context.Context, p domain.Principal, h string) (Blob, error) {
	b, err := s.stored(ctx, h)
	if err != nil {
		return Blob{}, err
	}
	ok, err := s.canRead(ctx, p, b)
	if err != nil {
		return Blob{}, err
	}
	if !ok {
		return Blob{}, errNoPhoto()
	}
	return b, nil
}

func (s *Service) canRead(ctx context.Context, p domain.Principal, b Blob) (bool, error) {
	if p.UserID != "" && p.UserID == b.Uploader {
		return true, nil
	}
	tokens := p.Tokens()
	if len(tokens) == 0 {
		return false, nil
	}
	return s.cfg.Records.PhotoVisible(ctx, b.Hash, tokens)
}

// Open returns the original bytes of the photo h for p to read (the caller closes them) and its
// metadata. Errors as in Readable.
func (s *Service) Open(ctx context.Context, p domain.Principal, h string) (io.ReadCloser, Blob, error) {
	b, err := s.Readable(ctx, p, h)
	if err != nil {
		return nil, Blob{}, err
	}
	rc, _, err := s.cfg.Objects.Get(ctx, OriginalKey(h))
	if errors.Is(err, domain.ErrNotFound) {
		// Metadata without its object: removed by hand, or a janitor run cut short.
		return nil, Blob{}, errNoPhoto()
	}
	if err != nil {
		return nil, Blob{}, err
	}
	return rc, b, nil
}

// Details returns the metadata of the photo h (size, type, uploader, the GPS position of its
// EXIF) for the leader of the uploader's team: the position is evidence of where the work was
// done, shown to the leader as data and never put in thumbnails. Errors: forbidden for somebody
// who may read the photo but is not that leader; not_found for everybody else (as in Readable).
func (s *Service) Details(ctx context.Context, p domain.Principal, h string) (Blob, error) {
	b, err := s.stored(ctx, h)
	if err != nil {
		return Blob{}, err
	}
	if p.Role == domain.RoleLeader && p.TeamID != "" && p.TeamID == b.Team {
		return b, nil
	}
	ok, err := s.canRead(ctx, p, b)
	if err != nil {
		return Blob{}, err
	}
	if ok {
		return Blob{}, domain.Errorf(domain.CodeForbidden, "only the team's leader sees a photo's details")
	}
	return Blob{}, errNoPhoto()
}

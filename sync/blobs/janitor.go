package blobs

import (
	"context"
	"errors"
	"time"

	"github.com/fieldsync/fieldsync/sync"
)

// Ages after which leftovers of uploads are removed: a PUT's temporary object (its request
// died with its process) and an unfinished tus upload (the phone never came back).
const (
	StaleTempAge       = 24 * time.Hour
	AbandonedUploadAge = 7 * 24 * time.Hour
)

// sweepBatch is how many idle photos one step of the orphan pass looks at.
const sweepBatch = 200

// SweepReport counts what one Sweep did.
type SweepReport struct {
	Orphans   int // photos removed: no record referred to them for the retention window
	Kept      int // idle photos found referred to again (their window restarts)
	Temps     int // temporary and abandoned upload objects removed
	Aborted   int // abandoned multipart uploads aborted
	Refreshed int // records written again by the repair and duplicate passes
}

// Sweep is the janitor's pass, run periodically by every instance (each step is idempotent):
//
//  1. orphans: photos idle (IdleSince) longer than Policy.OrphanPhotoRetentionDays are removed
//     — metadata first, then the original and its thumbnails — unless a record (a tombstone
//     included) refers to them, which restarts their window;
//  2. leftovers: temporary PUT objects older than StaleTempAge, tus uploads older than
//     AbandonedUploadAge (their objects and multipart uploads);
//  3. repair: records whose photosPending names a photo the server now holds are refreshed
//     (the refresh after an upload failed, or Derive could not look the photos up);
//  4. duplicates (R16): every record of sync.ClaimingCollections sharing a photo with another is
//     refreshed, so that claims pushed at the same moment (one batch, two phones) still get
//     duplicateOf.
//
// It goes on after a failed step and returns the errors joined.
func (s *Service) Sweep(ctx context.Context, now time.Time) (SweepReport, error) {
	var rep SweepReport
	errs := []error{s.sweepOrphans(ctx, now, &rep), s.sweepLeftovers(ctx, now, &rep)}
	refresh := map[sync.RecordKey]bool{}
	errs = append(errs, s.pendingToRepair(ctx, refresh), s.sharedClaims(ctx, refresh))
	if len(refresh) > 0 && s.cfg.Engine != nil {
		keys := make([]sync.RecordKey, 0, len(refresh))
		for k := range refresh {
			keys = append(keys, k)
		}
		n, err := s.cfg.Engine.Refresh(ctx, ServerPrincipal, keys)
		rep.Refreshed += n
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func (s *Service) sweepOrphans(ctx context.Context, now time.Time, rep *SweepReport) error {
	retention := time.Duration(s.cfg.Policy().OrphanPhotoRetentionDays) * 24 * time.Hour
	cutoff := now.Add(-retention)
	for {
		idle, err := s.cfg.Meta.IdleBefore(ctx, cutoff, sweepBatch)
		if err != nil {
			return err
		}
		for _, b := range idle {
			refs, err := s.cfg.Records.Referring(ctx, b.Hash, 1)
			if err != nil {
				return err
			}
			if len(refs) > 0 {
				rep.Kept++
				err = s.cfg.Meta.MarkReferenced(ctx, b.Hash, now)
			} else {
				var removed bool
				if removed, err = s.remove(ctx, b.Hash); removed {
					rep.Orphans++
				}
			}
			if err != nil {
				return err
			}
		}
		// Every blob seen was removed or moved out of the window: the next page is new.
		if len(idle) < sweepBatch {
			return nil
		}
	}
}

// remove deletes the photo h, under its claim (an upload of the same photo in progress keeps it
// for the next sweep): its metadata first (so that nobody is told it exists), then the original
// and its thumbnails. A crash in between leaves objects without metadata, which a new upload of
// the same photo overwrites. It reports whether it removed the photo.
func (s *Service) remove(ctx context.Context, h string) (bool, error) {
	release, claimed, err := s.claim(ctx, h, false)
	if err != nil || (!claimed && s.cfg.Claims != nil) {
		return false, err
	}
	defer release()
	return true, s.removeClaimed(ctx, h)
}

func (s *Service) removeClaimed(ctx context.Context, h string) error {
	if err := s.cfg.Meta.Delete(ctx, h); err != nil {
		return err
	}
	if err := s.cfg.Objects.Delete(ctx, OriginalKey(h)); err != nil {
		return err
	}
	return s.cfg.Objects.List(ctx, thumbnailPrefix+h+"/", func(o Object) error {
		return s.cfg.Objects.Delete(ctx, o.Key)
	})
}

func (s *Service) sweepLeftovers(ctx context.Context, now time.Time, rep *SweepReport) error {
	old := func(prefix string, age time.Duration) error {
		return s.cfg.Objects.List(ctx, prefix, func(o Object) error {
			if o.Modified.IsZero() || now.Sub(o.Modified) < age {
				return nil
			}
			rep.Temps++
			return s.cfg.Objects.Delete(ctx, o.Key)
		})
	}
	err := errors.Join(old(TempPrefix, StaleTempAge), old(TusPrefix, AbandonedUploadAge))
	n, aerr := s.cfg.Objects.AbortUploads(ctx, TusPrefix, now.Add(-AbandonedUploadAge))
	rep.Aborted += n
	return errors.Join(err, aerr)
}

// pendingToRepair adds the records whose photosPending names a photo that is now stored.
func (s *Service) pendingToRepair(ctx context.Context, refresh map[sync.RecordKey]bool) error {
	pending, err := s.cfg.Records.PendingPhotos(ctx, maxRefresh)
	if err != nil || len(pending) == 0 {
		return err
	}
	var hashes []string
	for _, p := range pending {
		hashes = append(hashes, p.Pending...)
	}
	have, err := s.cfg.Meta.Existing(ctx, dedupe(hashes))
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, h := range have {
		held[h] = true
	}
	for _, p := range pending {
		for _, h := range p.Pending {
			if held[h] {
				refresh[p.Key] = true
			}
		}
	}
	return nil
}

// sharedClaims adds the records of the claiming collections that share a photo.
func (s *Service) sharedClaims(ctx context.Context, refresh map[sync.RecordKey]bool) error {
	shared, err := s.cfg.Records.SharedPhotos(ctx, sync.ClaimingCollections)
	for _, keys := range shared {
		for _, k := range keys {
			refresh[k] = true
		}
	}
	return err
}

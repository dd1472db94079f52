package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fieldsync/fieldsync/server"
	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/blobs/s3objects"
	"github.com/fieldsync/fieldsync/sync/stores"
)

// photoJanitorInterval is how often every instance sweeps the photos (blobs.Service.Sweep).
const photoJanitorInterval = time.Hour

// photoLookup is what the sync rules ask about photos (photosPending, duplicateOf): the photo
// metadata and the records, no engine needed.
func photoLookup(docs *stores.Set) blobs.Lookup {
	return blobs.Lookup{Meta: docs.Blobs, Records: docs.Records}
}

// startPhotos builds the photo service on the object store and the document store, and the tus
// storage: uploads in the object store, their locks in the database (several instances may serve
// one upload). It needs the stores and the engine started.
func (a *app) startPhotos(ctx context.Context) (*server.Uploads, error) {
	a.photos = blobs.New(blobs.Config{
		Objects: s3objects.New(a.objects),
		Meta:    a.docs.Blobs,
		Records: a.docs.Records,
		Claims:  a.docs.UploadLocks,
		Engine:  a.engine,
		Logger:  a.log,
	})
	tus, err := s3objects.TusStore(ctx, a.objects)
	if err != nil {
		return nil, fmt.Errorf("resumable uploads: %w", err)
	}
	return &server.Uploads{Store: tus, Locker: server.NewUploadLocker(a.docs.UploadLocks.NewLock)}, nil
}

// runPhotoJanitor sweeps the photos every photoJanitorInterval until ctx ends: orphans past the
// retention window, abandoned uploads, records whose pending photos arrived, duplicate claims.
// Every instance runs it; every step is idempotent.
func runPhotoJanitor(ctx context.Context, photos *blobs.Service, log *slog.Logger) {
	tick := time.NewTicker(photoJanitorInterval)
	defer tick.Stop()
	for {
		rep, err := photos.Sweep(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Warn("sweep photos", slog.String("error", err.Error()))
		}
		if rep != (blobs.SweepReport{}) {
			log.Info("swept photos", slog.Int("orphans", rep.Orphans), slog.Int("kept", rep.Kept),
				slog.Int("leftovers", rep.Temps), slog.Int("abortedUploads", rep.Aborted), slog.Int("refreshed", rep.Refreshed))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

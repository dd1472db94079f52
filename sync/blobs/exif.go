package blobs

import (
	"io"
	"math"

	"github.com/rwcarlsen/goexif/exif"
)

// gpsOf returns the GPS position in the EXIF of a JPEG read from r (its first bytes are enough),
// or nil when there is none, it is out of range or the EXIF cannot be read. Other types carry no
// EXIF the library reads (HEIC keeps it in a box of its own; see docs/photos.md).
func gpsOf(contentType string, r io.Reader) (gps *GPS) {
	if contentType != TypeJPEG {
		return nil
	}
	// The bytes come from anybody: a parser bug on a crafted file costs the GPS, not the server.
	defer func() {
		if recover() != nil {
			gps = nil
		}
	}()
	x, err := exif.Decode(r)
	if err != nil || x == nil {
		return nil
	}
	lat, lon, err := x.LatLong()
	if err != nil || math.IsNaN(lat) || math.IsNaN(lon) || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return nil
	}
	return &GPS{Lat: lat, Lon: lon}
}

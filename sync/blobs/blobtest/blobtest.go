// Package blobtest makes photos for tests: real JPEGs and PNGs, with an EXIF block carrying an
// orientation and a GPS position when asked, and the helpers to inspect what comes back.
package blobtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// Sum returns the lowercase hex SHA-256 of b: a photo's address.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// EXIF is what JPEG writes into the photo's EXIF (APP1) block: an orientation (1–8; 0 writes
// none) and a GPS position (nil writes none).
type EXIF struct {
	Orientation int
	Lat, Lon    float64
	GPS         bool
}

// Picture returns a w×h image whose left half is red and right half blue, so that a rotation
// shows: after the 90° clockwise turn of EXIF orientation 6, red is on top.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{R: 220, G: 20, B: 20, A: 255}
			if x >= w/2 {
				c = color.RGBA{R: 20, G: 20, B: 220, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes Picture(w, h) as a JPEG with the EXIF block of x (none when x is zero); salt, when
// not empty, goes into a comment segment so that otherwise equal photos hash differently.
func JPEG(w, h int, x EXIF, salt string) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	raw := buf.Bytes()
	out := append([]byte{}, raw[:2]...) // SOI
	if app1 := exifSegment(x); app1 != nil {
		out = append(out, app1...)
	}
	if salt != "" {
		out = append(out, segment(0xFE, []byte(salt))...)
	}
	return append(out, raw[2:]...)
}

// PNG encodes Picture(w, h) as a PNG.
func PNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, Picture(w, h)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PDF returns a minimal PDF document.
func PDF(salt string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " +
		salt + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// HasAPP1 reports whether the JPEG b has an APP1 (EXIF or XMP) segment before its image data.
func HasAPP1(b []byte) bool {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		marker := b[i+1]
		if marker == 0xE1 {
			return true
		}
		if marker == 0xDA { // start of scan: no more metadata segments
			return false
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return false
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// exifSegment builds an APP1 "Exif" segment: a little-endian TIFF with IFD0 (Orientation,
// GPS pointer) and a GPS IFD (latitude and longitude as degrees, minutes, seconds).
func exifSegment(x EXIF) []byte {
	if x.Orientation == 0 && !x.GPS {
		return nil
	}
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline (<= 4 bytes) or placed after the IFD
	}
	var ifd0, gps []entry
	if x.Orientation != 0 {
		v := make([]byte, 4)
		le.PutUint16(v, uint16(x.Orientation))
		ifd0 = append(ifd0, entry{0x0112, 3, 1, v})
	}
	rational := func(f float64) []byte {
		f = math.Abs(f)
		deg := math.Floor(f)
		mins := math.Floor((f - deg) * 60)
		secs := ((f-deg)*60 - mins) * 60
		b := make([]byte, 24)
		for i, pair := range [][2]uint32{{uint32(deg), 1}, {uint32(mins), 1}, {uint32(math.Round(secs * 10000)), 10000}} {
			le.PutUint32(b[i*8:], pair[0])
			le.PutUint32(b[i*8+4:], pair[1])
		}
		return b
	}
	if x.GPS {
		latRef, lonRef := "N", "E"
		if x.Lat < 0 {
			latRef = "S"
		}
		if x.Lon < 0 {
			lonRef = "W"
		}
		gps = []entry{{0x0001, 2, 2, []byte(latRef + "\x00\x00\x00")}, {0x0002, 5, 3, rational(x.Lat)},
			{0x0003, 2, 2, []byte(lonRef + "\x00\x00\x00")}, {0x0004, 5, 3, rational(x.Lon)}}
		ifd0 = append(ifd0, entry{0x8825, 4, 1, make([]byte, 4)}) // pointer filled below
	}
	ifdSize := func(es []entry) int { return 2 + 12*len(es) + 4 }
	// Layout: header (8) | IFD0 | IFD0 data | GPS IFD | GPS data.
	tiff := make([]byte, 8)
	copy(tiff, "II")
	le.PutUint16(tiff[2:], 42)
	le.PutUint32(tiff[4:], 8)
	write := func(es []entry, start int) []byte {
		out := make([]byte, ifdSize(es))
		le.PutUint16(out, uint16(len(es)))
		var data []byte
		for i, e := range es {
			p := out[2+12*i:]
			le.PutUint16(p, e.tag)
			le.PutUint16(p[2:], e.typ)
			le.PutUint32(p[4:], e.count)
			if len(e.value) <= 4 {
				copy(p[8:12], e.value)
			} else {
				le.PutUint32(p[8:], uint32(start+len(out)+len(data)))
				data = append(data, e.value...)
			}
		}
		return append(out, data...)
	}
	first := write(ifd0, 8)
	if x.GPS {
		gpsStart := 8 + len(first)
		for i, e := range ifd0 {
			if e.tag == 0x8825 {
				le.PutUint32(first[2+12*i+8:], uint32(gpsStart))
			}
		}
		tiff = append(tiff, first...)
		tiff = append(tiff, write(gps, gpsStart)...)
	} else {
		tiff = append(tiff, first...)
	}
	return segment(0xE1, append([]byte("Exif\x00\x00"), tiff...))
}

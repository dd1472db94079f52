package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	stdsync "sync"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"

	"github.com/fieldsync/fieldsync/domain"
)

// photo is one picture a phone took: a receipt, a signature, the job site. Its bytes are a real
// JPEG with an EXIF APP1 segment (Orientation, DateTimeOriginal, GPS, ImageUniqueID), built on
// demand from one of the factory's encoded bodies, so that hundreds of distinct multi-megabyte
// photos cost a few encodings and no memory.
type photo struct {
	Hash  string
	Size  int
	body  int // index of the encoded body
	taken time.Time
	lat   float64
	lon   float64
	uid   string
}

// photoFactory makes photos. Sizes: a few JPEG bodies of increasing size (noise compresses
// badly, so a body's size follows its pixel count), encoded once per process and shared.
type photoFactory struct {
	bodies [][]byte   // each a JPEG without its SOI marker
	rng    *rand.Rand // sizes: the scenario's seed
	uids   *rand.Rand // EXIF ImageUniqueID: unique per run, so that no two runs share a photo
	n      int
}

var (
	bodyCacheMu stdsync.Mutex
	bodyCache   = map[string][][]byte{}
)

// newPhotoFactory returns a factory whose photos are between minBytes and maxBytes (roughly:
// the bodies are sized geometrically between them), deterministic for seed.
func newPhotoFactory(seed uint64, minBytes, maxBytes int, uids *rand.Rand) (*photoFactory, error) {
	key := fmt.Sprintf("%d/%d/%d", seed, minBytes, maxBytes)
	bodyCacheMu.Lock()
	defer bodyCacheMu.Unlock()
	bodies, ok := bodyCache[key]
	if !ok {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		const n = 5
		for i := range n {
			target := float64(minBytes)
			if n > 1 {
				target = float64(minBytes) * math.Pow(float64(maxBytes)/float64(minBytes), float64(i)/float64(n-1))
			}
			b, err := encodeBody(rng, int(target))
			if err != nil {
				return nil, err
			}
			bodies = append(bodies, b)
		}
		bodyCache[key] = bodies
	}
	return &photoFactory{bodies: bodies, rng: rand.New(rand.NewPCG(seed, 7)), uids: uids}, nil
}

// encodeBody encodes a noisy picture of about target bytes (quality 92; random noise costs
// about 1.9 bytes per pixel) and returns it without the SOI marker.
func encodeBody(rng *rand.Rand, target int) ([]byte, error) {
	pixels := max(target*10/19, 64*64)
	w := isqrt(pixels * 4 / 3)
	h := max(pixels/w, 16)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			base := uint8(x * 255 / w)
			img.SetRGBA(x, y, color.RGBA{R: base ^ uint8(rng.IntN(256)), G: uint8(y * 255 / h), B: uint8(rng.IntN(256)), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		return nil, fmt.Errorf("encode a photo: %w", err)
	}
	return buf.Bytes()[2:], nil // without SOI: the EXIF segment goes right after it
}

func isqrt(n int) int {
	r := 1
	for r*r < n {
		r++
	}
	return r
}

// newPhoto takes a new photo at the Asia/Shanghai instant taken, near Zhengzhou.
func (f *photoFactory) newPhoto(taken time.Time) (*photo, error) {
	f.n++
	// Most photos are small; a few are big (a receipt shot at full resolution).
	idx := 0
	switch r := f.rng.IntN(100); {
	case r >= 97:
		idx = len(f.bodies) - 1
	case r >= 85:
		idx = min(3, len(f.bodies)-1)
	case r >= 60:
		idx = min(2, len(f.bodies)-1)
	case r >= 30:
		idx = min(1, len(f.bodies)-1)
	}
	p := &photo{body: idx, taken: taken, lat: 34.7466 + f.rng.Float64()*0.2 - 0.1, lon: 113.6254 + f.rng.Float64()*0.2 - 0.1,
		uid: fmt.Sprintf("%016x%016x", f.uids.Uint64(), f.uids.Uint64())}
	data, err := f.bytes(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p.Hash, p.Size = hex.EncodeToString(sum[:]), len(data)
	return p, nil
}

// largest returns a new photo on the biggest body (the one the resumable upload cuts off).
func (f *photoFactory) largest(taken time.Time) (*photo, error) {
	p, err := f.newPhoto(taken)
	if err != nil {
		return nil, err
	}
	p.body = len(f.bodies) - 1
	data, err := f.bytes(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p.Hash, p.Size = hex.EncodeToString(sum[:]), len(data)
	return p, nil
}

// bytes builds the photo's JPEG: SOI, the EXIF APP1 segment, the body.
func (f *photoFactory) bytes(p *photo) ([]byte, error) {
	app1, err := exifSegment(p)
	if err != nil {
		return nil, err
	}
	body := f.bodies[p.body]
	out := make([]byte, 0, 2+len(app1)+len(body))
	out = append(out, 0xFF, 0xD8)
	out = append(out, app1...)
	return append(out, body...), nil
}

// exifSegment builds the APP1 segment ("Exif\0\0" + TIFF) with go-exif's IFD builder.
func exifSegment(p *photo) ([]byte, error) {
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil, err
	}
	ti := exif.NewTagIndex()
	root := exif.NewIfdBuilder(im, ti, exifcommon.IfdStandardIfdIdentity, exifcommon.EncodeDefaultByteOrder)
	stamp := p.taken.In(domain.Shanghai).Format("2006:01:02 15:04:05")
	// Tags in a fixed order: the same photo must always have the same bytes (and hash).
	type tag struct {
		name  string
		value any
	}
	for _, t := range []tag{{"Make", "fieldsim"}, {"Model", "售后 phone"}, {"Orientation", []uint16{1}}, {"DateTime", stamp}} {
		if err := root.SetStandardWithName(t.name, t.value); err != nil {
			return nil, fmt.Errorf("exif %s: %w", t.name, err)
		}
	}
	exifIfd, err := exif.GetOrCreateIbFromRootIb(root, "IFD/Exif")
	if err != nil {
		return nil, err
	}
	for _, t := range []tag{{"DateTimeOriginal", stamp}, {"ImageUniqueID", p.uid}} {
		if err := exifIfd.SetStandardWithName(t.name, t.value); err != nil {
			return nil, fmt.Errorf("exif %s: %w", t.name, err)
		}
	}
	gps, err := exif.GetOrCreateIbFromRootIb(root, "IFD/GPSInfo")
	if err != nil {
		return nil, err
	}
	for _, t := range []tag{{"GPSLatitudeRef", "N"}, {"GPSLatitude", dms(p.lat)}, {"GPSLongitudeRef", "E"}, {"GPSLongitude", dms(p.lon)}} {
		if err := gps.SetStandardWithName(t.name, t.value); err != nil {
			return nil, fmt.Errorf("exif %s: %w", t.name, err)
		}
	}
	tiff, err := exif.NewIfdByteEncoder().EncodeToExif(root)
	if err != nil {
		return nil, fmt.Errorf("encode exif: %w", err)
	}
	seg := make([]byte, 4, 4+6+len(tiff))
	seg[0], seg[1] = 0xFF, 0xE1
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(tiff)))
	seg = append(seg, "Exif\x00\x00"...)
	return append(seg, tiff...), nil
}

// dms is a coordinate as EXIF's degrees, minutes, seconds rationals.
func dms(v float64) []exifcommon.Rational {
	deg := int(v)
	minf := (v - float64(deg)) * 60
	mins := int(minf)
	secs := (minf - float64(mins)) * 60
	return []exifcommon.Rational{{Numerator: uint32(deg), Denominator: 1}, {Numerator: uint32(mins), Denominator: 1},
		{Numerator: uint32(secs * 1000), Denominator: 1000}}
}

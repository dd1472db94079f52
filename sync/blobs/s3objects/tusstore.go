package s3objects

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tus/tusd/v2/pkg/s3store"

	"github.com/fieldsync/fieldsync/sync/blobs"
	"github.com/fieldsync/fieldsync/sync/objectstore"
)

// TusPartSize is the S3 part size of resumable uploads: the smallest S3 allows (but for the
// last part). A cut PATCH keeps what it received: whole parts as parts of the multipart upload,
// the rest as one "<id>.part" object that the next PATCH continues.
const TusPartSize = 5 << 20

// TusStore returns tusd's S3 store on the bucket of store, under blobs.TusPrefix: each upload is
// an info object ("tus/<id>.info") and an S3 multipart upload completing into "tus/<id>", so an
// upload's state is in the object store and any server instance can continue it. It talks to the
// same server as store, through the AWS SDK v2 (what s3store speaks), with store's credentials
// and the bucket's region. Errors: unavailable when the bucket's region cannot be read.
func TusStore(ctx context.Context, store *objectstore.Store) (s3store.S3Store, error) {
	c := store.Client()
	creds, err := c.GetCreds()
	if err != nil {
		return s3store.S3Store{}, fmt.Errorf("tus store: credentials: %w", err)
	}
	region, err := c.GetBucketLocation(ctx, store.Bucket())
	if err != nil {
		return s3store.S3Store{}, translate(err, "tus store: region of bucket %s", store.Bucket())
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: objectstore.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.MaxIdleConnsPerHost = 16
	client := s3.New(s3.Options{
		Region:       cmp.Or(region, objectstore.DefaultRegion),
		BaseEndpoint: aws.String(c.EndpointURL().String()),
		UsePathStyle: true, // no per-bucket DNS names in front of MinIO/versitygw
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		HTTPClient:   &http.Client{Transport: transport},
		// Checksums only where S3 requires them: MinIO and versitygw both accept the SDK's
		// default CRC headers today, but older S3 servers refuse them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           3,
	})
	st := s3store.New(store.Bucket(), client)
	st.ObjectPrefix = blobs.TusPrefix
	st.MinPartSize = TusPartSize
	st.PreferredPartSize = TusPartSize
	st.MaxBufferedParts = 4
	st.SetConcurrentPartUploads(4)
	return st, nil
}

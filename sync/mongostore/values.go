package mongostore

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// fromStorage converts a decoded BSON value back to plain Go JSON shapes: documents become
// map[string]any, arrays []any, int32 int64, datetimes time.Time as stored.
func fromStorage(v any) any {
	switch x := v.(type) {
	case bson.D:
		out := make(map[string]any, len(x))
		for _, e := range x {
			out[e.Key] = fromStorage(e.Value)
		}
		return out
	case bson.M:
		return fromStorageMap(x)
	case map[string]any:
		return fromStorageMap(x)
	case bson.A:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromStorage(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromStorage(e)
		}
		return out
	case int32:
		return int64(x)
	case bson.DateTime:
		return x.Time().UTC()
	}
	return v
}

func fromStorageMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = fromStorage(e)
	}
	return out
}

package mongostore

import (
	"encoding/json"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// toStorage converts a JSON-decoded value into one BSON stores without changing its meaning:
// json.Number becomes int64 when it is an integer that fits (money in fen, counts) and float64
// otherwise; maps and slices are converted recursively. Other values pass through.
func toStorage(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toStorage(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toStorage(e)
		}
		return out
	case nil:
		return nil
	}
	return v
}

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

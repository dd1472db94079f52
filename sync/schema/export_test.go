package schema

// NewStoreLookupPaged is NewStoreLookup reading page records at a time, so that tests page.
func NewStoreLookupPaged(store RecordReader, page int) *StoreLookup {
	return &StoreLookup{store: store, page: page}
}

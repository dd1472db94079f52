// The RxDB schema of service_forms as fieldsync serves it on /v1/rxdb/service_forms: the
// collection's fields (domain/schema.go and domain/access_fields.go) plus the keys the server
// stamps (id, version, owner, team, createdAt, updatedAt, conflicts). `deleted` is not a key: the
// server sends RxDB's own `_deleted` instead. additionalProperties is false, so a key the
// server should not send fails the client's validation and the test.
const text = { type: 'string' };
const instant = { type: 'string' }; // RFC 3339
const hash = { type: 'string' }; // photo SHA-256, hex

export const serviceFormSchema = {
  title: 'fieldsync service form',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    // server-stamped
    id: { type: 'string', maxLength: 64 },
    version: { type: 'integer', minimum: 0 },
    owner: text,
    team: text,
    createdAt: instant,
    updatedAt: instant,
    conflicts: { type: 'array', items: { type: 'object' } },
    // written by the technician
    workOrderId: text,
    arrivedAt: instant,
    departedAt: instant,
    faultCause: text,
    workDone: text,
    parts: { type: 'array', items: { type: 'object' } },
    feeCollectedFen: { type: 'integer' },
    outcome: { type: 'string', enum: ['completed', 'incomplete', 'taken_back'] },
    takeBackReceiptNo: text,
    signaturePhoto: hash,
    photos: { type: 'array', items: hash },
    satisfaction: { type: 'integer' },
    extraWork: { type: 'boolean' },
    extraWorkReason: text,
    note: text,
    // status: the author and the leader; review fields: the leader
    status: { type: 'string', enum: ['draft', 'submitted', 'approved', 'rejected'] },
    reviewNote: text,
    extraWorkApproved: { type: 'boolean' },
    // computed by the server
    reviewedBy: text,
    reviewedAt: instant,
    submittedAt: instant,
  },
};

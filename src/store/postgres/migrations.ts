/**
 * The PostgreSQL schema, versioned like SQLite's (src/store/sqlite/migrations.ts) and kept to
 * the same tables and rules: never edit a released migration, add the next one. Times are
 * epoch milliseconds (BIGINT); hashes and journal entries are BYTEA.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the core — meta, acta records, images, the journal and its frontier, checkpoints, cuts.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE acta (
    record_id TEXT PRIMARY KEY,
    contest TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'captured_once', 'mismatch', 'verified', 'sin_acta')),
    acopio_at BIGINT,
    record TEXT NOT NULL
  );
  CREATE INDEX acta_by_status ON acta (status, acopio_at, record_id);
  CREATE TABLE image (
    position BIGSERIAL UNIQUE,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    record_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('record', 'additional', 'conflict')),
    source TEXT NOT NULL,
    PRIMARY KEY (sha256, record_id)
  );
  CREATE INDEX image_by_record ON image (record_id);
  CREATE TABLE journal (
    leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    entry BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL CHECK (length(leaf_hash) = 32)
  );
  CREATE TABLE journal_frontier (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, hashes TEXT NOT NULL);
  INSERT INTO journal_frontier (id, size, hashes) VALUES (1, 0, '[]');
  CREATE TABLE checkpoint (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL, signed_at BIGINT NOT NULL);
  CREATE TABLE cut (
    sequence BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    cut_time BIGINT NOT NULL,
    journal_size BIGINT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    final BOOLEAN NOT NULL
  );
  -- Append-only, enforced by the database itself.
  CREATE FUNCTION openprep_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
  CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION openprep_append_only();
  `,
  // 2: intake — enrolled devices and the packages they sent, each with the receipt it was given.
  `
  CREATE TABLE device (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('CASILLA', 'CATD')),
    bound_to TEXT NOT NULL,
    label TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT
  );
  CREATE TABLE package (
    device_id TEXT NOT NULL REFERENCES device (id),
    sequence BIGINT NOT NULL CHECK (sequence >= 0),
    package_sha256 TEXT NOT NULL CHECK (length(package_sha256) = 64),
    image_sha256 TEXT NOT NULL CHECK (length(image_sha256) = 64),
    record_id TEXT NOT NULL,
    acopio_at BIGINT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'conflict')),
    receipt TEXT,
    CHECK ((outcome = 'accepted') = (receipt IS NOT NULL)),
    PRIMARY KEY (device_id, sequence)
  );
  -- A receipt once given is never taken back or changed.
  CREATE TRIGGER package_append_only BEFORE UPDATE OR DELETE ON package
    FOR EACH ROW EXECUTE FUNCTION openprep_append_only();
  `,
  // 3: operators (one JSON record each, role and scope indexed for purges) and their sessions.
  `
  CREATE TABLE operator (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE TABLE session (
    id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    operator_id TEXT NOT NULL REFERENCES operator (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    csrf_hash TEXT NOT NULL,
    webauthn_at BIGINT,
    revoked_at BIGINT
  );
  CREATE INDEX session_by_operator ON session (operator_id, revoked_at);
  `,
  // 4: leases — which process holds a role that only one may hold at a time (the cut builder).
  `
  CREATE TABLE lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
  `,
  // 5: capture claims — who was handed which acta to type, so that many capturistas asking at
  // once are not all given the same one.
  `
  CREATE TABLE capture_claim (
    record_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (record_id, operator_id)
  );
  `,
  // 6: the capture queue — an acta held by as many capturistas as it needs leaves the queue's
  // index until its hold ends, so thousands of capturistas do not each scan past the others'.
  `
  ALTER TABLE acta ADD COLUMN held_until BIGINT NOT NULL DEFAULT 0;
  CREATE INDEX acta_capture_queue ON acta (acopio_at, record_id)
    WHERE status IN ('received', 'captured_once') AND held_until = 0;
  CREATE INDEX acta_held ON acta (held_until) WHERE held_until > 0;
  CREATE INDEX capture_claim_by_operator ON capture_claim (operator_id, expires_at);
  `,
  // 7: territory — which distritos or casillas each CATD or CAE serves (docs/territory.md);
  // intake takes a device's package only for an acta within its unit's area.
  `
  CREATE TABLE territory (
    unit TEXT NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('CATD', 'CAE')),
    area_kind TEXT NOT NULL CHECK (area_kind IN ('distrito', 'casilla')),
    area TEXT NOT NULL,
    -- A CAE's área de responsabilidad is casillas, never a whole distrito.
    CHECK (unit_kind = 'CATD' OR area_kind = 'casilla'),
    PRIMARY KEY (unit, area)
  );
  `,
  // 8: the dashboard's packages by CATD, counted per device on this index alone (a covering
  // scan) instead of reading every package row (catdActivity, src/intake/devices_port.ts).
  `
  CREATE INDEX package_activity ON package (device_id, outcome, acopio_at);
  `,
  // 9: the access review's latest use of each account, read on this index alone (a covering
  // scan) instead of every session row (src/security/access_port.ts).
  `
  CREATE INDEX session_last_use ON session (operator_id, last_seen_at);
  `,
  // 10: security operations (src/security/) — decoys and the canaries of each export, kept as
  // keyed fingerprints only, and the register of exports of internal data.
  `
  CREATE TABLE decoy (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('operator', 'device', 'record')),
    export_id TEXT,
    created_at BIGINT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE TABLE security_export (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    record TEXT NOT NULL
  );
  `,
  // 11: security operations — the alerts raised (each once: its alertId is the key), and the
  // addresses the throttle response refuses, read by every node (src/security/alerts_port.ts).
  `
  CREATE TABLE security_alert (
    alert_id TEXT PRIMARY KEY,
    raised_at BIGINT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX security_alert_newest ON security_alert (raised_at DESC, alert_id);
  CREATE TABLE address_block (
    address TEXT PRIMARY KEY,
    until BIGINT NOT NULL,
    alert_id TEXT NOT NULL
  );
  `,
  // 12: the witnesses' cosignatures of the journal's checkpoints (src/journal/cosignature.ts),
  // one per witness key and checkpoint, read by the publisher to put them in the cut.
  `
  CREATE TABLE witness_cosignature (
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    key_id TEXT NOT NULL,
    line TEXT NOT NULL,
    cosigned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (size, witness, key_id)
  );
  `,
  // 13: the acta reader's readings (src/reading/readings_port.ts): one per image and model, kept
  // apart from the acta records; the sweep at start looks for images of record none names.
  `
  CREATE TABLE reader_reading (
    record_id TEXT NOT NULL,
    image_sha256 TEXT NOT NULL CHECK (length(image_sha256) = 64),
    model_sha256 TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    reading TEXT NOT NULL,
    PRIMARY KEY (record_id, image_sha256, model_sha256)
  );
  CREATE INDEX reader_reading_by_model ON reader_reading (model_sha256, read_at, record_id);
  `,
];

/**
 * The oldest schema version (a count of PG_MIGRATIONS) whose code still runs on this release's
 * schema: the rule that makes a rolling upgrade's rollback possible (docs/deployment.md,
 * "Upgrading during the night"). A migration that only adds — a table, a nullable column or one
 * with a default, an index — leaves this alone, since code that knows nothing of the addition
 * works as before; a migration that removes, renames or tightens (contract) raises it to its own
 * version, and then no release older than it may run on the database again. Recorded in the
 * database with each migration (meta `schema_oldest_reader`), so that an older release can tell
 * whether a newer schema is still one it may run on.
 *
 * 7: releases before the rule refuse any schema newer than their own, so 7 is where it starts.
 */
export const PG_OLDEST_READER = 7;

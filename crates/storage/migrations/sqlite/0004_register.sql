-- 易流浪走失人员登记: people prone to wandering or getting lost, kept per grid cell by the
-- community, and the alerts raised when one of them turns up at any station.

CREATE TABLE wandering_register (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code         TEXT NOT NULL REFERENCES regions(region_code),
    name                TEXT NOT NULL,
    sex                 TEXT NOT NULL DEFAULT '',
    birth_date          TEXT,
    resident_id_enc     BLOB,
    resident_id_idx     TEXT,
    guardian_name       TEXT NOT NULL DEFAULT '',
    guardian_phone_enc  BLOB,
    reason              TEXT NOT NULL DEFAULT '',
    active              INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX wandering_register_region ON wandering_register(region_code);
CREATE INDEX wandering_register_rid ON wandering_register(resident_id_idx);

CREATE TABLE register_alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    register_id      INTEGER NOT NULL REFERENCES wandering_register(id),
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    region_code      TEXT NOT NULL,
    at               INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX register_alerts_region ON register_alerts(region_code, at);

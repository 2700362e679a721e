-- Rescue station: people, their stays (cases), the case timeline and in-station services.

CREATE TABLE persons (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code            TEXT NOT NULL REFERENCES regions(region_code),
    name                   TEXT NOT NULL DEFAULT '',
    aliases                TEXT NOT NULL DEFAULT '',
    sex                    TEXT NOT NULL DEFAULT '',
    birth_date             TEXT,
    estimated_age          INTEGER,
    estimated_on           TEXT,
    resident_id_enc        BLOB,
    resident_id_idx        TEXT,
    registered_residence   TEXT NOT NULL DEFAULT '',
    actual_residence       TEXT NOT NULL DEFAULT '',
    origin_region          TEXT NOT NULL DEFAULT '',
    dialect                TEXT NOT NULL DEFAULT '',
    height_cm              INTEGER,
    build                  TEXT NOT NULL DEFAULT '',
    features               TEXT NOT NULL DEFAULT '',
    clothing               TEXT NOT NULL DEFAULT '',
    photo_ref              TEXT NOT NULL DEFAULT '',
    fingerprint_ref        TEXT NOT NULL DEFAULT '',
    health_enc             BLOB,
    mental_state           TEXT NOT NULL DEFAULT '',
    intellectual_state     TEXT NOT NULL DEFAULT '',
    needs_collection       INTEGER NOT NULL DEFAULT 0,
    mental_or_intellectual INTEGER NOT NULL DEFAULT 0,
    relatives_enc          BLOB,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX persons_region ON persons(region_code);
CREATE INDEX persons_resident_id_idx ON persons(resident_id_idx);
CREATE INDEX persons_name ON persons(name);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code            TEXT NOT NULL REFERENCES regions(region_code),
    station_id             INTEGER NOT NULL REFERENCES organisations(id),
    person_id              INTEGER NOT NULL REFERENCES persons(id),
    case_no                TEXT NOT NULL UNIQUE,
    channel                TEXT NOT NULL,
    state                  TEXT NOT NULL,
    cause                  TEXT NOT NULL DEFAULT '',
    registered_at          INTEGER NOT NULL,
    admitted_at            INTEGER,
    departed_at            INTEGER,
    exit_kind              TEXT,
    exit_detail            TEXT NOT NULL DEFAULT '',
    unidentified           INTEGER NOT NULL DEFAULT 1,
    verify_later           INTEGER NOT NULL DEFAULT 0,
    area                   TEXT NOT NULL DEFAULT '',
    bed                    TEXT NOT NULL DEFAULT '',
    notice_published_at    INTEGER,
    dna_requested_at       INTEGER,
    extension_approved_at  INTEGER,
    notice_updated_at      INTEGER,
    settlement_started_at  INTEGER,
    linked_case_id         INTEGER REFERENCES cases(id),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_region_state ON cases(region_code, state);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_registered ON cases(registered_at);

CREATE TABLE case_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    region_code    TEXT NOT NULL,
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER,
    actor_name     TEXT NOT NULL,
    event          TEXT NOT NULL,
    detail         TEXT NOT NULL DEFAULT '',
    documents      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events(case_id, at);

CREATE TABLE case_services (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    region_code    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    provider       TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    cost_fen       INTEGER NOT NULL DEFAULT 0,
    actor_name     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX case_services_case ON case_services(case_id);

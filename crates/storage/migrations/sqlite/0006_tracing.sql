-- 寻亲: the search actions of each unidentified person's case, families' missing-person
-- reports, tips sent about public notices, and the pairs the matching engine suggested
-- with the human decision on each.

CREATE TABLE search_actions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    region_code   TEXT NOT NULL,
    channel       TEXT NOT NULL,
    requested_on  TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT 'pending',
    result_on     TEXT,
    result_note   TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX search_actions_case ON search_actions(case_id);
CREATE INDEX search_actions_region ON search_actions(region_code, channel);

CREATE TABLE missing_reports (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code       TEXT NOT NULL REFERENCES regions(region_code),
    ref_no            TEXT NOT NULL UNIQUE,
    source            TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    sex               TEXT NOT NULL DEFAULT '',
    birth_date        TEXT,
    age_when_missing  INTEGER,
    missing_on        TEXT,
    missing_place     TEXT NOT NULL DEFAULT '',
    origin_region     TEXT NOT NULL DEFAULT '',
    dialect           TEXT NOT NULL DEFAULT '',
    height_cm         INTEGER,
    features          TEXT NOT NULL DEFAULT '',
    reporter_name     TEXT NOT NULL DEFAULT '',
    relation          TEXT NOT NULL DEFAULT '',
    contact_enc       BLOB,
    consent           INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'open',
    found_case_id     INTEGER REFERENCES cases(id),
    closed_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX missing_reports_region ON missing_reports(region_code, status);

CREATE TABLE notice_tips (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    region_code  TEXT NOT NULL,
    ref_no       TEXT NOT NULL UNIQUE,
    message      TEXT NOT NULL,
    contact_enc  BLOB,
    created_at   INTEGER NOT NULL,
    read_at      INTEGER
);
CREATE INDEX notice_tips_case ON notice_tips(case_id);

CREATE TABLE match_candidates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code    TEXT NOT NULL,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    report_id      INTEGER NOT NULL REFERENCES missing_reports(id),
    probability    REAL NOT NULL,
    match_weight   REAL NOT NULL,
    explanation    TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open',
    evidence       TEXT,
    decision_note  TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (case_id, report_id)
);
CREATE INDEX match_candidates_region ON match_candidates(region_code, status);
CREATE INDEX match_candidates_report ON match_candidates(report_id);

-- A photo for the notice, stored re-encoded (no camera or location data) with a thumbnail.
CREATE TABLE case_photos (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    region_code  TEXT NOT NULL,
    full_jpeg    BLOB NOT NULL,
    thumb_jpeg   BLOB NOT NULL,
    actor_name   TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- 协查共享: a search shared with another jurisdiction, whose staff may then read it.
CREATE TABLE case_shares (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    region_code  TEXT NOT NULL,
    shared_with  TEXT NOT NULL REFERENCES regions(region_code),
    actor_name   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (case_id, shared_with)
);
CREATE INDEX case_shares_with ON case_shares(shared_with);

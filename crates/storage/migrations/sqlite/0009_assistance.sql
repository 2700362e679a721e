-- 社会救助: households (一户一档) with members and their dated membership, declared income
-- and assets, one-window applications with the items they ask for, every step of every
-- item, and the rules' decision with its explanation.

CREATE TABLE households (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code       TEXT NOT NULL REFERENCES regions(region_code),
    head_name         TEXT NOT NULL,
    address           TEXT NOT NULL DEFAULT '',
    area              TEXT NOT NULL,
    housing           TEXT NOT NULL DEFAULT '',
    monitored         INTEGER NOT NULL DEFAULT 0,
    bank_account_enc  BLOB,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX households_region ON households(region_code);

CREATE TABLE household_members (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id      INTEGER NOT NULL REFERENCES households(id),
    region_code       TEXT NOT NULL,
    name              TEXT NOT NULL,
    relation          TEXT NOT NULL,
    resident_id_enc   BLOB,
    resident_id_idx   TEXT,
    sex               TEXT NOT NULL DEFAULT '',
    birth_date        TEXT,
    disability        TEXT NOT NULL DEFAULT '',
    disability_grade  INTEGER NOT NULL DEFAULT 0,
    health_enc        BLOB,
    work_ability      TEXT NOT NULL DEFAULT '',
    schooling         TEXT NOT NULL DEFAULT '',
    joined_on         TEXT NOT NULL,
    left_on           TEXT,
    created_at        INTEGER NOT NULL
);
CREATE INDEX household_members_household ON household_members(household_id);
-- One person, one household at a time.
CREATE UNIQUE INDEX household_members_active_person ON household_members(resident_id_idx)
    WHERE left_on IS NULL AND resident_id_idx IS NOT NULL;

CREATE TABLE household_finances (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    category      TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    from_on       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE INDEX household_finances_household ON household_finances(household_id, kind, category, from_on);

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id   INTEGER NOT NULL REFERENCES households(id),
    region_code    TEXT NOT NULL REFERENCES regions(region_code),
    reference      TEXT NOT NULL UNIQUE,
    channel        TEXT NOT NULL,
    authorised     INTEGER NOT NULL DEFAULT 0,
    missing_docs   TEXT NOT NULL DEFAULT '',
    accepted_on    TEXT NOT NULL,
    decision_due   TEXT NOT NULL,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX applications_region ON applications(region_code);
CREATE INDEX applications_household ON applications(household_id);

CREATE TABLE application_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id      INTEGER NOT NULL REFERENCES applications(id),
    household_id        INTEGER NOT NULL REFERENCES households(id),
    region_code         TEXT NOT NULL,
    item                TEXT NOT NULL,
    state               TEXT NOT NULL,
    notice_from         TEXT,
    approved_on         TEXT,
    refused_on          TEXT,
    refusal_notice_due  TEXT,
    eligible            INTEGER,
    amount_fen          INTEGER,
    need_fen            INTEGER,
    decision_json       TEXT,
    rules_version       TEXT,
    review_class        TEXT,
    next_review         TEXT,
    ended_on            TEXT,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    UNIQUE (application_id, item)
);
CREATE INDEX application_items_region ON application_items(region_code, state);

CREATE TABLE application_steps (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id      INTEGER NOT NULL REFERENCES application_items(id),
    region_code  TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail_json  TEXT NOT NULL,
    state_after  TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX application_steps_item ON application_steps(item_id, at);

-- Monthly payment runs for approved items: a preview, the county's approval, a bank file,
-- then each payment's result. One payment per item per month, ever (UNIQUE), so nothing is
-- paid twice; a failed payment is retried in place or reversed, and every fen is counted.

CREATE TABLE payment_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code   TEXT NOT NULL REFERENCES regions(region_code),
    month         TEXT NOT NULL,
    status        TEXT NOT NULL,
    total_fen     INTEGER NOT NULL DEFAULT 0,
    payments      INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (region_code, month)
);

CREATE TABLE payments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        INTEGER NOT NULL REFERENCES payment_runs(id),
    item_id       INTEGER NOT NULL REFERENCES application_items(id),
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL,
    month         TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (item_id, month)
);
CREATE INDEX payments_run ON payments(run_id);
CREATE INDEX payments_household ON payments(household_id, month);

-- 复核: periodic reviews of an approved item (class A and B yearly, C more often), with the
-- amount before and after; a stop or close ends the payments.
CREATE TABLE item_reviews (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id        INTEGER NOT NULL REFERENCES application_items(id),
    region_code    TEXT NOT NULL,
    reviewed_on    TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    amount_before  INTEGER,
    amount_after   INTEGER,
    note           TEXT NOT NULL DEFAULT '',
    actor_name     TEXT NOT NULL,
    at             INTEGER NOT NULL
);
CREATE INDEX item_reviews_item ON item_reviews(item_id);

-- 入户走访: door-to-door visits (每户必入、入户见人) with where and when, and who was seen.
CREATE TABLE household_visits (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL,
    visited_at    INTEGER NOT NULL,
    lat           REAL,
    lng           REAL,
    people_seen   INTEGER NOT NULL,
    saw_applicant INTEGER NOT NULL DEFAULT 0,
    note          TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL
);
CREATE INDEX household_visits_household ON household_visits(household_id, visited_at);

-- 一户一策: the household's plan of measures, each with an owner and a date, reviewed over time.
CREATE TABLE household_measures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL,
    measure       TEXT NOT NULL,
    owner         TEXT NOT NULL,
    due_on        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open',
    review_note   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX household_measures_household ON household_measures(household_id);

-- Documents of an application (photos of certificates, bills, the signed forms), re-encoded
-- without camera or location data.
CREATE TABLE application_documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    region_code     TEXT NOT NULL,
    jpeg            BLOB NOT NULL,
    thumb           BLOB NOT NULL,
    actor_name      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX application_documents_application ON application_documents(application_id);

-- Photos taken at a home visit (入户见人), re-encoded without camera or location data.
CREATE TABLE visit_photos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id      INTEGER NOT NULL REFERENCES household_visits(id),
    region_code   TEXT NOT NULL,
    jpeg          BLOB NOT NULL,
    thumb         BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX visit_photos_visit ON visit_photos(visit_id);

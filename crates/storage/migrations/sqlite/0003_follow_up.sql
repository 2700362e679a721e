-- After leaving: follow-up visits of people returned home (回访), seen by the home side.

CREATE TABLE follow_ups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id            INTEGER NOT NULL REFERENCES cases(id),
    region_code        TEXT NOT NULL,
    home_region        TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    done_at            INTEGER,
    outcome            TEXT NOT NULL DEFAULT '',
    note               TEXT NOT NULL DEFAULT '',
    guardian_reminded  INTEGER NOT NULL DEFAULT 0,
    referred           INTEGER NOT NULL DEFAULT 0,
    actor_name         TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX follow_ups_home ON follow_ups(home_region, due_date);
CREATE INDEX follow_ups_case ON follow_ups(case_id);

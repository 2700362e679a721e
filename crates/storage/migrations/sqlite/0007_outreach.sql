-- 街面巡查: hotspots in tiers and the cameras watching them, patrol teams, sightings from
-- every channel with their dispatch times, what teams record on the street, the day's plan
-- as stops, weather warnings and the campaigns they start, and rescue posts (救助驿站).
-- Positions are WGS-84 degrees as phones report them.

CREATE TABLE hotspots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(region_code),
    name         TEXT NOT NULL,
    lat          REAL NOT NULL,
    lng          REAL NOT NULL,
    tier         TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX hotspots_region ON hotspots(region_code);

CREATE TABLE cameras (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(region_code),
    name         TEXT NOT NULL,
    lat          REAL NOT NULL,
    lng          REAL NOT NULL,
    hotspot_id   INTEGER REFERENCES hotspots(id),
    created_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cameras_region ON cameras(region_code);

CREATE TABLE patrol_teams (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(region_code),
    name         TEXT NOT NULL,
    members      TEXT NOT NULL DEFAULT '',
    shifts       TEXT NOT NULL,
    base_lat     REAL NOT NULL,
    base_lng     REAL NOT NULL,
    last_lat     REAL,
    last_lng     REAL,
    last_seen_at INTEGER,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX patrol_teams_region ON patrol_teams(region_code);

CREATE TABLE sightings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code   TEXT NOT NULL REFERENCES regions(region_code),
    reference     TEXT NOT NULL UNIQUE,
    channel       TEXT NOT NULL,
    reported_at   INTEGER NOT NULL,
    lat           REAL,
    lng           REAL,
    place         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    people_count  INTEGER NOT NULL DEFAULT 1,
    child         INTEGER NOT NULL DEFAULT 0,
    urgent        INTEGER NOT NULL DEFAULT 0,
    caller_name   TEXT NOT NULL DEFAULT '',
    contact_enc   BLOB,
    call_ref      TEXT NOT NULL DEFAULT '',
    camera_id     INTEGER REFERENCES cameras(id),
    snapshot_ref  TEXT NOT NULL DEFAULT '',
    hotspot_id    INTEGER REFERENCES hotspots(id),
    respond_by    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open',
    team_id       INTEGER REFERENCES patrol_teams(id),
    dispatched_at INTEGER,
    on_scene_at   INTEGER,
    closed_at     INTEGER,
    outcome       TEXT,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sightings_region ON sightings(region_code, status);
CREATE INDEX sightings_reported ON sightings(reported_at);

CREATE TABLE patrol_contacts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code   TEXT NOT NULL REFERENCES regions(region_code),
    team_id       INTEGER NOT NULL REFERENCES patrol_teams(id),
    sighting_id   INTEGER REFERENCES sightings(id),
    hotspot_id    INTEGER REFERENCES hotspots(id),
    stop_id       INTEGER,
    at            INTEGER NOT NULL,
    lat           REAL,
    lng           REAL,
    outcome       TEXT NOT NULL,
    people_count  INTEGER NOT NULL DEFAULT 0,
    supplies      INTEGER NOT NULL DEFAULT 0,
    card_given    INTEGER NOT NULL DEFAULT 0,
    note          TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patrol_contacts_region ON patrol_contacts(region_code, at);

CREATE TABLE patrol_plans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(region_code),
    day          TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (region_code, day)
);

CREATE TABLE plan_stops (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      INTEGER NOT NULL REFERENCES patrol_plans(id),
    region_code  TEXT NOT NULL,
    team_id      INTEGER NOT NULL REFERENCES patrol_teams(id),
    shift        INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    hotspot_id   INTEGER REFERENCES hotspots(id),
    sighting_id  INTEGER REFERENCES sightings(id),
    tier         TEXT NOT NULL,
    start_min    INTEGER NOT NULL,
    window_from  INTEGER NOT NULL,
    window_to    INTEGER NOT NULL,
    done_at      INTEGER,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX plan_stops_plan ON plan_stops(plan_id, team_id);

CREATE TABLE weather_warnings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(region_code),
    kind         TEXT NOT NULL,
    level        TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    actor_name   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX weather_warnings_region ON weather_warnings(region_code, valid_from);

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code      TEXT NOT NULL REFERENCES regions(region_code),
    warning_id       INTEGER NOT NULL REFERENCES weather_warnings(id),
    kind             TEXT NOT NULL,
    starts_on        TEXT NOT NULL,
    ends_on          TEXT NOT NULL,
    extra_key        INTEGER NOT NULL DEFAULT 0,
    extra_secondary  INTEGER NOT NULL DEFAULT 0,
    extra_general    INTEGER NOT NULL DEFAULT 0,
    instructions     TEXT NOT NULL,
    supplies_target  INTEGER NOT NULL DEFAULT 0,
    reference        TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX campaigns_region ON campaigns(region_code, starts_on);

CREATE TABLE rescue_posts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code    TEXT NOT NULL REFERENCES regions(region_code),
    name           TEXT NOT NULL,
    partner_kind   TEXT NOT NULL,
    partner_name   TEXT NOT NULL DEFAULT '',
    lat            REAL NOT NULL,
    lng            REAL NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    hours          TEXT NOT NULL DEFAULT '',
    services       TEXT NOT NULL DEFAULT '',
    stock          TEXT NOT NULL DEFAULT '',
    jobs           TEXT NOT NULL DEFAULT '',
    visits_served  INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX rescue_posts_region ON rescue_posts(region_code);

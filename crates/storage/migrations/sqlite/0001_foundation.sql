-- Foundation: regions, organisations, accounts, sessions, tokens, audit and access logs.
-- Released migrations are never edited; add a new file instead.
-- Times are BIGINT milliseconds since the epoch (UTC); flags are 0/1 integers; the same
-- column types exist under the same names in the PostgreSQL migration.

CREATE TABLE regions (
    region_code   TEXT PRIMARY KEY NOT NULL,
    parent_code   TEXT REFERENCES regions(region_code),
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code   TEXT NOT NULL REFERENCES regions(region_code),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    phone_enc     BLOB,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX organisations_region ON organisations(region_code);
CREATE UNIQUE INDEX organisations_name ON organisations(region_code, name);

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code           TEXT NOT NULL REFERENCES regions(region_code),
    organisation_id       INTEGER REFERENCES organisations(id),
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    must_change_password  INTEGER NOT NULL DEFAULT 1,
    disabled              INTEGER NOT NULL DEFAULT 0,
    resident_id_enc       BLOB,
    resident_id_idx       TEXT,
    phone_enc             BLOB,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          INTEGER,
    locale                TEXT NOT NULL DEFAULT 'zh-CN',
    password_changed_at   INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_region ON users(region_code);
CREATE INDEX users_resident_id_idx ON users(resident_id_idx);

CREATE TABLE user_grants (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    role             TEXT NOT NULL,
    region_code      TEXT NOT NULL REFERENCES regions(region_code),
    organisation_id  INTEGER REFERENCES organisations(id),
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_grants_unique ON user_grants(user_id, role, region_code);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    region_code   TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT NOT NULL,
    ip         TEXT NOT NULL,
    success    INTEGER NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    region_code   TEXT NOT NULL,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- The audit chain's head: one row, updated in the same transaction as each append so
-- concurrent writers queue on it and the chain never forks.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq        INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY NOT NULL,
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER,
    actor_name     TEXT NOT NULL,
    ip             TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    action         TEXT NOT NULL,
    record_kind    TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    changes        TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_kind, record_id);
CREATE INDEX audit_log_region ON audit_log(region_code, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE access_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    user_id        INTEGER,
    actor_name     TEXT NOT NULL,
    ip             TEXT NOT NULL,
    record_kind    TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    purpose        TEXT NOT NULL
);
CREATE INDEX access_log_region ON access_log(region_code, at);
CREATE INDEX access_log_record ON access_log(record_kind, record_id);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

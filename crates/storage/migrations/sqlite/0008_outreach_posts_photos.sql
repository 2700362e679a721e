-- A rescue post's message board, and photos a patrol team takes at a contact (re-encoded
-- without camera or location data before they get here).

CREATE TABLE post_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id      INTEGER NOT NULL REFERENCES rescue_posts(id),
    region_code  TEXT NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX post_messages_post ON post_messages(post_id, created_at);

CREATE TABLE contact_photos (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id   INTEGER NOT NULL REFERENCES patrol_contacts(id),
    region_code  TEXT NOT NULL,
    jpeg         BLOB NOT NULL,
    thumb        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX contact_photos_contact ON contact_photos(contact_id);

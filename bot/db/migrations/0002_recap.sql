-- Hearth recap schema, version 2: declared interests and the shared summary cache.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.

-- Topics a member said they care about ("board games", "ramen"); matched against the content
-- words of conversations. Removed with the member.
CREATE TABLE member_interests (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    topic       TEXT    NOT NULL COLLATE NOCASE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, topic),
    FOREIGN KEY (guild_id, user_id) REFERENCES members(guild_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- One summary per conversation content, backend, model and language, shared by every member
-- and the digest. key = sha256(content_hash, backend, model, language); a new version of a
-- conversation replaces the older rows of the same conversation_key/backend/model/language, so
-- text that was edited or deleted does not linger here.
CREATE TABLE summary_cache (
    key              TEXT    PRIMARY KEY,
    conversation_key TEXT    NOT NULL,
    content_hash     TEXT    NOT NULL,
    backend          TEXT    NOT NULL,
    model            TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    payload          TEXT    NOT NULL CHECK (json_valid(payload))
);
CREATE INDEX summary_cache_conversation ON summary_cache(conversation_key);
CREATE INDEX summary_cache_created ON summary_cache(created_at);

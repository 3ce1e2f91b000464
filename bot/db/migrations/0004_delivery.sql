-- Scheduled deliveries: one row per (guild, period, target), written before and after sending,
-- so a restart neither repeats nor skips a digest or a DM recap.
CREATE TABLE deliveries (
    guild_id    INTEGER NOT NULL,
    period      TEXT    NOT NULL,            -- "weekly:2026-11-23", "daily:2026-11-23"
    target      TEXT    NOT NULL,            -- "channel:<id>" or "dm:<user id>"
    user_id     INTEGER,                     -- the recipient of a DM recap
    status      TEXT    NOT NULL CHECK (status IN
                  ('sending', 'sent', 'empty', 'dm_closed', 'failed')),
    nonce       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    message_ids TEXT    NOT NULL DEFAULT '',  -- comma-separated ids of what was posted
    late        INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    notified    INTEGER NOT NULL DEFAULT 0,  -- the member was told their DMs failed
    PRIMARY KEY (guild_id, period, target)
) WITHOUT ROWID;
CREATE INDEX deliveries_user ON deliveries(user_id) WHERE user_id IS NOT NULL;

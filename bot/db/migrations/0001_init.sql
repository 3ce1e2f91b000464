-- Hearth archive schema, version 1.
-- Times are INTEGER milliseconds since the Unix epoch, UTC. Ids are Discord snowflakes.

CREATE TABLE guilds (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL DEFAULT '',
    owner_id        INTEGER,
    digest_channel_id INTEGER,
    digest_weekday  INTEGER NOT NULL DEFAULT 0 CHECK (digest_weekday BETWEEN 0 AND 6), -- 0 = Monday
    digest_hour     INTEGER NOT NULL DEFAULT 9 CHECK (digest_hour BETWEEN 0 AND 23),
    timezone        TEXT    NOT NULL DEFAULT 'UTC',
    language        TEXT,             -- NULL: the language of each conversation
    summarizer      TEXT,             -- NULL: the process default (HEARTH_SUMMARIZER)
    retention_days  INTEGER CHECK (retention_days IS NULL OR retention_days > 0),
    joined_at       INTEGER
);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL DEFAULT '',
    permissions INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX roles_guild ON roles(guild_id);

-- Text channels, forums, categories, threads and forum posts. A thread's parent_id is the
-- channel or forum it lives in; a channel's parent_id is its category.
CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    parent_id   INTEGER,
    kind        TEXT    NOT NULL CHECK (kind IN
                  ('text', 'news', 'forum', 'category', 'voice', 'thread', 'private_thread',
                   'forum_post', 'other')),
    name        TEXT    NOT NULL DEFAULT '',
    topic       TEXT,
    owner_id    INTEGER,
    private     INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    excluded    INTEGER NOT NULL DEFAULT 0,   -- admins chose not to log this channel
    created_at  INTEGER
);
CREATE INDEX channels_guild ON channels(guild_id);
CREATE INDEX channels_parent ON channels(parent_id);

-- Permission overwrites, as Discord sends them (target is a role or a member).
CREATE TABLE channel_overwrites (
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    target_id   INTEGER NOT NULL,
    target_type TEXT    NOT NULL CHECK (target_type IN ('role', 'member')),
    allow       INTEGER NOT NULL DEFAULT 0,
    deny        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, target_id)
) WITHOUT ROWID;

-- Who is in a private thread (public threads are readable by whoever reads the parent).
CREATE TABLE thread_members (
    thread_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (thread_id, user_id)
) WITHOUT ROWID;
CREATE INDEX thread_members_user ON thread_members(user_id);

CREATE TABLE members (
    guild_id        INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    display_name    TEXT    NOT NULL DEFAULT '',
    is_bot          INTEGER NOT NULL DEFAULT 0,
    joined_at       INTEGER,
    left_at         INTEGER,            -- NULL while they are in the guild
    last_seen_at    INTEGER,
    dm_opt_in       INTEGER NOT NULL DEFAULT 0,
    dm_cadence      TEXT    NOT NULL DEFAULT 'weekly' CHECK (dm_cadence IN ('weekly', 'daily')),
    logging_paused  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members(user_id);

CREATE TABLE member_roles (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    role_id     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, role_id),
    FOREIGN KEY (guild_id, user_id) REFERENCES members(guild_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- channel_id is where the message was posted (a thread's own id for messages in threads).
-- Deleted messages stay as tombstones with their content, mentions and reactions removed, so
-- reply chains keep their shape but nothing that was said survives.
CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,
    author_id           INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    edited_at           INTEGER,
    content             TEXT    NOT NULL DEFAULT '',
    reply_to_id         INTEGER,
    kind                TEXT    NOT NULL DEFAULT 'default',
    started_thread_id   INTEGER,          -- the thread created from this message, if any
    attachments         INTEGER NOT NULL DEFAULT 0,
    pinned              INTEGER NOT NULL DEFAULT 0,
    deleted             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_channel ON messages(channel_id, id);
CREATE INDEX messages_guild_time ON messages(guild_id, created_at);
CREATE INDEX messages_author ON messages(author_id, guild_id);
CREATE INDEX messages_reply ON messages(reply_to_id) WHERE reply_to_id IS NOT NULL;

CREATE TABLE mentions (
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    target_type TEXT    NOT NULL CHECK (target_type IN ('user', 'role', 'everyone')),
    target_id   INTEGER NOT NULL,     -- 0 for @everyone/@here
    PRIMARY KEY (message_id, target_type, target_id)
) WITHOUT ROWID;
CREATE INDEX mentions_target ON mentions(target_id, target_type);

CREATE TABLE reactions (
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    emoji       TEXT    NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
) WITHOUT ROWID;
CREATE INDEX reactions_user ON reactions(user_id);

-- Backfill cursors: every message of the channel with an id <= last_id is stored (or was
-- deliberately not stored). Only history reads and gap-free live sessions move it forward.
CREATE TABLE backfill_cursors (
    channel_id  INTEGER PRIMARY KEY,
    last_id     INTEGER NOT NULL
);

-- Small process state (e.g. the hash of the last synced command tree).
CREATE TABLE meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);

-- Hearth model usage, version 3: tokens spent on a chat-model summarizer, per guild and week.
-- Times are INTEGER milliseconds since the Unix epoch, UTC. period is an ISO week ("2026-W47").
-- No message text is stored here: only counts, so nothing needs forgetting for a member.
CREATE TABLE llm_usage (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    period            TEXT    NOT NULL,
    model             TEXT    NOT NULL DEFAULT '',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    created_at        INTEGER NOT NULL
);
CREATE INDEX llm_usage_guild_period ON llm_usage(guild_id, period);

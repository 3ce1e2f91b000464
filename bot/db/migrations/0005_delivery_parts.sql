-- Issue #14: a guild's digest is one delivery per period whatever channel it goes to, and
-- every part of a multi-message delivery is recorded as it is sent.
ALTER TABLE deliveries ADD COLUMN channel_id INTEGER;  -- where a digest was (being) posted
ALTER TABLE deliveries ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;  -- /digest post
-- The end of the window a digest covered: the next one starts there.
ALTER TABLE deliveries ADD COLUMN until_at INTEGER;
-- Digest rows were keyed by their channel ("channel:<id>"); the period is the unit now. Where
-- one period has rows for two channels (the old defect), the first keeps the key.
UPDATE OR IGNORE deliveries
   SET channel_id = CAST(substr(target, 9) AS INTEGER), target = 'digest'
 WHERE target LIKE 'channel:%';

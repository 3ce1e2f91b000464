-- Issue #18: full-text search over the archive (/ask, hearth ask).
-- message_words holds each message's content words as bot.recap.text.tokens() finds them
-- (English lowercased and plural-folded, Japanese nouns through Sudachi, no stopwords), one
-- space between them; Hearth's indexer fills it from search_pending, a queue the triggers
-- below keep. message_search is an FTS5 index over message_words.
-- Privacy: the triggers tie both to the archive. An edit or a tombstone drops the message's
-- words (and queues the new text), a deleted row (forget, retention) takes them along, so no
-- search can find text the archive no longer holds. The index is merged after forget and
-- retention (bot/db/search.py), so no old segment keeps a forgotten word either.
CREATE TABLE message_words (
    message_id  INTEGER PRIMARY KEY,
    words       TEXT NOT NULL
);
CREATE TABLE search_pending (
    message_id  INTEGER PRIMARY KEY
);
CREATE VIRTUAL TABLE message_search USING fts5(
    words, content = 'message_words', content_rowid = 'message_id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER message_words_ai AFTER INSERT ON message_words BEGIN
    INSERT INTO message_search (rowid, words) VALUES (new.message_id, new.words);
END;
CREATE TRIGGER message_words_ad AFTER DELETE ON message_words BEGIN
    INSERT INTO message_search (message_search, rowid, words)
    VALUES ('delete', old.message_id, old.words);
END;
CREATE TRIGGER message_words_au AFTER UPDATE ON message_words BEGIN
    INSERT INTO message_search (message_search, rowid, words)
    VALUES ('delete', old.message_id, old.words);
    INSERT INTO message_search (rowid, words) VALUES (new.message_id, new.words);
END;
CREATE TRIGGER messages_search_new AFTER INSERT ON messages
WHEN new.content <> '' AND new.deleted = 0 BEGIN
    INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
END;
CREATE TRIGGER messages_search_changed AFTER UPDATE OF content, deleted ON messages
WHEN new.content IS NOT old.content OR new.deleted IS NOT old.deleted BEGIN
    DELETE FROM message_words WHERE message_id = new.id;
    DELETE FROM search_pending WHERE message_id = new.id;
    INSERT INTO search_pending (message_id)
    SELECT new.id WHERE new.content <> '' AND new.deleted = 0;
END;
CREATE TRIGGER messages_search_gone AFTER DELETE ON messages BEGIN
    DELETE FROM message_words WHERE message_id = old.id;
    DELETE FROM search_pending WHERE message_id = old.id;
END;
INSERT INTO search_pending (message_id)
SELECT id FROM messages WHERE content <> '' AND deleted = 0;

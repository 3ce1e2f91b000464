-- Issue #14: a delivery interrupted after some of its parts resumes with the rendering it
-- began (the parts still to send, as rendered), not a new one that may paginate differently.
-- Kept only while the delivery is unfinished; cleared when it ends and when archived text
-- is deleted or forgotten (the resume then renders afresh).
ALTER TABLE deliveries ADD COLUMN payload TEXT;
CREATE INDEX deliveries_payload ON deliveries(guild_id) WHERE payload IS NOT NULL;
-- 0005 left a period's second channel row (the old defect) under its old key. Where that row
-- was sent and the period's digest row was not, the sent one becomes the period's digest.
DELETE FROM deliveries
 WHERE target = 'digest' AND status <> 'sent'
   AND EXISTS (SELECT 1 FROM deliveries AS c
                WHERE c.guild_id = deliveries.guild_id AND c.period = deliveries.period
                  AND c.target LIKE 'channel:%' AND c.status = 'sent');
UPDATE OR IGNORE deliveries
   SET channel_id = CAST(substr(target, 9) AS INTEGER), target = 'digest'
 WHERE target LIKE 'channel:%' AND status = 'sent';
-- What is left is a period's duplicate that its digest row already answers for.
DELETE FROM deliveries WHERE target LIKE 'channel:%';

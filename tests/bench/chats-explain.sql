-- chats-explain.sql -- EXPLAIN (ANALYZE, BUFFERS) of GET /api/chats's two
-- statements for the heavy user, as the API runs them (prepared, generic
-- plans; fcgi-api/db.c sets plan_cache_mode).  The text mirrors
-- fcgi-api/chatview.c's CHATVIEW_SELECT / CHATVIEW_MEMBERS with
-- fcgi-api/shape.h's column lists: keep them in step.  psql -v heavy=<id>.
SET plan_cache_mode = force_generic_plan;
PREPARE chat_rows(bigint) AS
    SELECT c.id, c.kind, c.title, c.updated_at AT TIME ZONE 'UTC',
           cm.last_read_message_id, cm.unread_count, c.owner_id, cm.mention_count, cm.muted,
           c.lm_id, c.lm_chat_id, c.lm_sender_id, c.lm_sender_username, c.lm_content,
           c.lm_created_at, c.lm_edited_at, c.lm_deleted, c.lm_client_id, c.lm_seq,
           c.lm_mentions, c.lm_reply_to, c.lm_reactions, c.lm_system
      FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
     WHERE cm.user_id = $1;   -- sorted by the API (chatview_key_cmp)
PREPARE chat_members(bigint) AS
    SELECT cm.chat_id, cm.user_id, cm.username, cm.deactivated, cm.last_read_message_id
      FROM chat_members mine JOIN chat_members cm ON cm.chat_id = mine.chat_id
     WHERE mine.user_id = $1 ORDER BY cm.chat_id, cm.user_id;
-- The first run warms the caches and the plan; the second is the figure.
EXPLAIN (ANALYZE, BUFFERS) EXECUTE chat_rows(:heavy);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE chat_rows(:heavy);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE chat_members(:heavy);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE chat_members(:heavy);

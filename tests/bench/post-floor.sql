-- post-floor.sql -- pgbench: the rows a post writes, and nothing else, as
-- one plain statement over the POST chats (bench_post_pairs, made by run.sh):
-- the sender's sending bucket, the message (with its search vector, its
-- five indexes and foreign keys), its change row, the chat's activity and
-- card, and each member's counts -- the writes of parley_post's one big
-- statement (sql/014_chat_last.sql), without the function around it (the
-- membership check, the locks, the reply and mention lookups, the answer's
-- totals).  -D n=1: one post a statement, a random pair, the floor of one
-- transaction a post (the gap to post-fn.sql is what the function adds).
-- -D n=4: four posts (four chats, four senders) a statement, each client on
-- its own four pairs so no two lock the same rows: what a set-based post
-- could cost; run.sh reports posts/s (tps x n).
\if :n = 1
\set k0 random(1, :npairs)
\else
\set k0 1 + :client_id * :n
\endif
\set k1 :k0 + :n - 1
WITH b AS (
    SELECT p.chat_id, p.user_id, u.username
      FROM bench_post_pairs p JOIN users u ON u.id = p.user_id
     WHERE p.k BETWEEN :k0 AND :k1
), u AS (
    UPDATE users SET send_tokens = 1e6, send_at = now() FROM b WHERE users.id = b.user_id
), m AS (
    INSERT INTO messages (chat_id, sender_id, content, seq, mentions)
    SELECT b.chat_id, b.user_id, 'bench message: the quick brown fox jumps over the lazy dog',
           nextval('change_seq'), '{}' FROM b
    RETURNING id, chat_id, sender_id, content, seq
), ch AS (
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    SELECT m.seq, m.chat_id, 'message_new', m.id, m.sender_id FROM m
), c AS (
    UPDATE chats SET updated_at = now(), last_message_id = m.id,
           (lm_id, lm_chat_id, lm_sender_id, lm_sender_username, lm_content,
            lm_created_at, lm_edited_at, lm_deleted, lm_client_id, lm_seq,
            lm_mentions, lm_reply_to, lm_reactions, lm_system) =
           (m.id, m.chat_id, m.sender_id, b.username, m.content, parley_ts(now()), NULL, false,
            NULL, m.seq, '[]', NULL, '[]', NULL)
      FROM m JOIN b ON b.chat_id = m.chat_id WHERE chats.id = m.chat_id
), cm AS (
    UPDATE chat_members cm
       SET unread_count = CASE WHEN cm.user_id = m.sender_id THEN 0 ELSE cm.unread_count + 1 END,
           last_read_message_id = CASE WHEN cm.user_id = m.sender_id THEN m.id
                                       ELSE cm.last_read_message_id END
      FROM m WHERE cm.chat_id = m.chat_id
    RETURNING cm.user_id
)
SELECT count(*) FROM cm;

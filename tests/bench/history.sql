-- history.sql -- gives the heavy user's chats 100,000 messages of history
-- (500 per chat for 200 chats, from the other member) so the chat list is
-- measured where its cost would grow with history if it did.  Kept as the
-- write functions keep them: change seqs, each chat's last message and
-- activity time, the members' unread counts.  The chat list's card of the
-- last message is filled by the chats_card_fill trigger when
-- last_message_id is set (sql/014_chat_last.sql).  psql -v heavy=<user id>.
CREATE TEMP TABLE h AS
    SELECT cm.chat_id, o.user_id AS other
      FROM chat_members cm JOIN chat_members o ON o.chat_id = cm.chat_id AND o.user_id <> cm.user_id
     WHERE cm.user_id = :heavy;
INSERT INTO messages (chat_id, sender_id, content, seq)
    SELECT h.chat_id, h.other, 'history message ' || g || ': the quick brown fox', nextval('change_seq')
      FROM h, generate_series(1, (100000 / greatest((SELECT count(*) FROM h), 1))::int) g;
UPDATE chats c SET last_message_id = (SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id),
                   updated_at = now()
 WHERE c.id IN (SELECT chat_id FROM h);
UPDATE chat_members cm
   SET unread_count = parley_count_unread(cm.chat_id, cm.user_id, cm.last_read_message_id)
 WHERE cm.chat_id IN (SELECT chat_id FROM h);
ANALYZE messages;
ANALYZE chats;
ANALYZE chat_members;
SELECT count(*) AS history_messages FROM messages WHERE chat_id IN (SELECT chat_id FROM h);

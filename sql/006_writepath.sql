-- 006_writepath.sql -- one round trip per write.
--
-- Each write function below returns, with its status, everything the HTTP
-- answer and the live event need: the stored message as the client sees it
-- (a message_v row), whether it has attachments, and the chat's members
-- with each one's unread count and total, as arrays aligned by index.  The
-- worker then answers and PUSHes without another query (posts that carry
-- files load their attachment rows once more).  The functions of 001/003
-- stay for the old statements; the API calls only these.

-- The Message view of 003, with the same columns and values, but cheaper
-- per row: reactions are aggregated only for a message that has any (an
-- index probe first) and in an inline subquery, not by calling
-- parley_reactions(), which PostgreSQL cannot inline.  That call was most
-- of the cost of reading a message row: 11 us of 13 in a 20,000-row scan
-- (docs/bench.md), 200 of them in a chat list.
CREATE OR REPLACE VIEW message_v AS
    SELECT m.id, m.chat_id, m.sender_id, u.username AS sender_username,
           m.content, parley_ts(m.created_at) AS created_at,
           parley_ts(m.edited_at) AS edited_at,
           (m.deleted_at IS NOT NULL) AS deleted, m.client_id, m.seq,
           array_to_json(m.mentions)::text AS mentions,
           (SELECT json_build_object(
                       'id', o.id, 'sender_id', o.sender_id, 'sender_username', ou.username,
                       'snippet', CASE WHEN o.deleted_at IS NULL THEN left(o.content, 100) END,
                       'deleted', o.deleted_at IS NOT NULL)
              FROM messages o JOIN users ou ON ou.id = o.sender_id
             WHERE o.id = m.reply_to_id)::text AS reply_to,
           CASE WHEN EXISTS (SELECT 1 FROM reactions r WHERE r.message_id = m.id)
                THEN (SELECT json_agg(json_build_object('emoji', x.emoji, 'user_ids', x.ids)
                                      ORDER BY x.first_at, x.emoji)
                        FROM (SELECT r.emoji,
                                     array_agg(r.user_id ORDER BY r.created_at, r.user_id) AS ids,
                                     min(r.created_at) AS first_at
                                FROM reactions r WHERE r.message_id = m.id
                               GROUP BY r.emoji) x)::text
                ELSE '[]' END AS reactions,
           m.system::text AS system
      FROM messages m JOIN users u ON u.id = m.sender_id;

-- A chat's members with their unread counts and totals, as this
-- transaction sees them (after its own updates).  plpgsql, not sql: a
-- LANGUAGE sql function that PostgreSQL cannot inline is parsed and planned
-- again on every call, a plpgsql one keeps its plan for the session.
CREATE FUNCTION parley_recipients(p_chat bigint, OUT member_ids bigint[],
                                  OUT unread_counts bigint[], OUT total_unreads bigint[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT array_agg(cm.user_id ORDER BY cm.user_id),
           array_agg(cm.unread_count::bigint ORDER BY cm.user_id),
           array_agg((SELECT coalesce(sum(o.unread_count), 0)::bigint FROM chat_members o
                       WHERE o.user_id = cm.user_id) ORDER BY cm.user_id)
      INTO member_ids, unread_counts, total_unreads
      FROM chat_members cm WHERE cm.chat_id = p_chat;
END
$$;

-- The API's time format, as in 001, declared STABLE as to_char is: an
-- IMMUTABLE function whose body is only STABLE is never inlined, so every
-- query using it paid a parse and plan of the body (seen in a profile of
-- the post path).  The same text as before.
CREATE OR REPLACE FUNCTION parley_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Post a message, claiming its uploads in the same transaction.
-- status: 'created' | 'exists' (same client_id: the stored one is returned)
-- | 'not_member' | 'bad_reply' | 'rate_limited' (seq holds the seconds to
-- wait).  Uploads that are not the sender's, or already in another message,
-- raise SQLSTATE P0002 and nothing is stored.
-- Compared with parley_post_message: no separate client_id lookup (the
-- insert's ON CONFLICT finds a twin; a repeat costs one unused seq, and
-- seqs may have gaps anyway), and the answer rides along.
CREATE FUNCTION parley_post(p_chat bigint, p_sender bigint, p_content text,
                            p_client_id text, p_rate real, p_burst real,
                            p_reply_to bigint, p_mentions text[], p_uploads bigint[],
                            OUT status text, OUT seq bigint, OUT msg message_v,
                            OUT has_uploads boolean, OUT member_ids bigint[],
                            OUT unread_counts bigint[], OUT total_unreads bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    s    bigint;
    wait bigint;
    mid  bigint;
    ids  bigint[];
BEGIN
    PERFORM 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_sender;
    IF NOT FOUND THEN
        status := 'not_member';
        RETURN;
    END IF;
    wait := parley_take_token(p_sender, p_rate, p_burst);
    IF wait > 0 THEN
        status := 'rate_limited';
        seq := wait;
        RETURN;
    END IF;
    IF p_reply_to IS NOT NULL THEN
        PERFORM 1 FROM messages m WHERE m.id = p_reply_to AND m.chat_id = p_chat;
        IF NOT FOUND THEN
            status := 'bad_reply';
            RETURN;
        END IF;
    END IF;
    IF cardinality(p_mentions) > 0 THEN
        SELECT array_agg(u.id ORDER BY u.id) INTO ids
          FROM users u JOIN chat_members cm ON cm.user_id = u.id AND cm.chat_id = p_chat
         WHERE lower(u.username) = ANY (p_mentions) AND u.id <> p_sender;
    END IF;
    -- Lock the chat row: orders posts within one chat, never across.
    PERFORM 1 FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
    PERFORM pg_current_xact_id();          -- xid before seq: see 001
    s := nextval('change_seq');
    mid := parley_insert_message(p_chat, p_sender, p_content, p_client_id,
                                 p_reply_to, ids, NULL, s);
    IF mid IS NULL THEN                    -- the same client_id was sent before
        SELECT m.id INTO mid FROM messages m
         WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
        status := 'exists';
    ELSE
        status := 'created';
    END IF;
    IF cardinality(p_uploads) > 0 THEN
        PERFORM parley_claim_uploads(mid, p_sender, p_uploads);
    END IF;
    SELECT * INTO msg FROM message_v v WHERE v.id = mid;
    seq := msg.seq;
    has_uploads := cardinality(p_uploads) > 0 OR
                   (status = 'exists' AND EXISTS (SELECT 1 FROM uploads u WHERE u.message_id = mid));
    SELECT r.member_ids, r.unread_counts, r.total_unreads
      INTO member_ids, unread_counts, total_unreads FROM parley_recipients(p_chat) r;
END
$$;

-- Edit (p_content) or delete (p_content NULL) a message.
-- status: 'ok' | 'unchanged' (already deleted) | 'not_found' (no such message
-- or not a member of its chat) | 'forbidden' (not the author, or a system
-- line) | 'deleted' (edit of a deleted message) | 'rate_limited' (edits
-- only; seq holds the seconds to wait).
-- As parley_change_message of 003, and an edit also recomputes the
-- mentions from p_mentions (lower-cased @names, as for a post): members
-- who have not read the message yet gain or lose it on their mention_count,
-- so the stored count stays what a recount would give.
CREATE FUNCTION parley_change(p_msg bigint, p_user bigint, p_content text,
                              p_rate real, p_burst real, p_mentions text[],
                              OUT status text, OUT chat_id bigint, OUT seq bigint,
                              OUT msg message_v, OUT has_uploads boolean,
                              OUT member_ids bigint[], OUT unread_counts bigint[],
                              OUT total_unreads bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    m    messages%ROWTYPE;
    s    bigint;
    wait bigint;
    ids  bigint[] := '{}';
BEGIN
    SELECT mm.* INTO m FROM messages mm
      JOIN chat_members cm ON cm.chat_id = mm.chat_id AND cm.user_id = p_user
     WHERE mm.id = p_msg;
    IF NOT FOUND THEN
        status := 'not_found';
        RETURN;
    END IF;
    chat_id := m.chat_id;
    IF m.sender_id <> p_user OR m.system IS NOT NULL THEN
        status := 'forbidden';
        RETURN;
    END IF;
    IF p_content IS NOT NULL THEN
        wait := parley_take_token(p_user, p_rate, p_burst);
        IF wait > 0 THEN
            status := 'rate_limited';
            seq := wait;
            RETURN;
        END IF;
        IF cardinality(p_mentions) > 0 THEN
            SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') INTO ids
              FROM users u JOIN chat_members cm ON cm.user_id = u.id AND cm.chat_id = m.chat_id
             WHERE lower(u.username) = ANY (p_mentions) AND u.id <> p_user;
        END IF;
    END IF;
    -- The chat row first (as posts and membership changes do), then the
    -- message: counts of a chat change under one lock order.
    PERFORM 1 FROM chats c WHERE c.id = m.chat_id FOR NO KEY UPDATE;
    SELECT * INTO m FROM messages WHERE id = p_msg FOR NO KEY UPDATE;
    IF m.deleted_at IS NOT NULL THEN
        status := CASE WHEN p_content IS NULL THEN 'unchanged' ELSE 'deleted' END;
        seq := m.seq;
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();          -- xid before seq: see 001
    s := nextval('change_seq');
    IF p_content IS NULL THEN
        UPDATE messages SET content = NULL, deleted_at = now(), seq = s WHERE id = p_msg;
        -- It no longer counts for those who had not read it.
        UPDATE chat_members cm
           SET unread_count = greatest(cm.unread_count - 1, 0),
               mention_count = CASE WHEN cm.user_id = ANY (m.mentions)
                                    THEN greatest(cm.mention_count - 1, 0)
                                    ELSE cm.mention_count END
         WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
           AND cm.last_read_message_id < p_msg;
        DELETE FROM reactions WHERE message_id = p_msg;
        INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
        VALUES (s, m.chat_id, 'message_delete', p_msg, p_user);
    ELSE
        UPDATE messages SET content = p_content, edited_at = now(), seq = s, mentions = ids
         WHERE id = p_msg;
        IF ids IS DISTINCT FROM m.mentions THEN
            UPDATE chat_members cm
               SET mention_count = greatest(cm.mention_count
                       + (cm.user_id = ANY (ids))::int - (cm.user_id = ANY (m.mentions))::int, 0)
             WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
               AND cm.last_read_message_id < p_msg
               AND (cm.user_id = ANY (ids)) <> (cm.user_id = ANY (m.mentions));
        END IF;
        INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
        VALUES (s, m.chat_id, 'message_edit', p_msg, p_user);
        SELECT * INTO msg FROM message_v v WHERE v.id = p_msg;
        has_uploads := EXISTS (SELECT 1 FROM uploads u WHERE u.message_id = p_msg);
    END IF;
    status := 'ok';
    seq := s;
    SELECT r.member_ids, r.unread_counts, r.total_unreads
      INTO member_ids, unread_counts, total_unreads FROM parley_recipients(m.chat_id) r;
END
$$;

-- Move a read marker forward (never back), as parley_mark_read of 003
-- does, with the counts recounted inline (003's parley_count_unread and
-- parley_count_mentions are sql functions, parsed again on every call), and
-- answering with the reader's unread count and total after it and the
-- chat's members (for read_receipt).
-- status: 'ok' | 'unchanged' | 'not_member' | 'no_message'.
CREATE FUNCTION parley_read(p_chat bigint, p_user bigint, p_msg bigint,
                            OUT status text, OUT last_read bigint, OUT seq bigint,
                            OUT unread bigint, OUT total bigint, OUT member_ids bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    cur    bigint;
    target bigint;
    s      bigint;
BEGIN
    SELECT cm.last_read_message_id, cm.unread_count INTO cur, unread FROM chat_members cm
     WHERE cm.chat_id = p_chat AND cm.user_id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        status := 'not_member';
        RETURN;
    END IF;
    IF p_msg IS NULL THEN
        SELECT coalesce(max(m.id), 0) INTO target FROM messages m WHERE m.chat_id = p_chat;
    ELSE
        PERFORM 1 FROM messages m WHERE m.id = p_msg AND m.chat_id = p_chat;
        IF NOT FOUND THEN
            status := 'no_message';
            RETURN;
        END IF;
        target := p_msg;
    END IF;
    IF target <= cur THEN
        status := 'unchanged';
        last_read := cur;
    ELSE
        PERFORM pg_current_xact_id();      -- xid before seq: see 001
        s := nextval('change_seq');
        UPDATE chat_members cm
           SET last_read_message_id = target,
               unread_count = x.unread,
               mention_count = x.mentions
          FROM (SELECT count(*) AS unread, count(*) FILTER (WHERE p_user = ANY (m.mentions)) AS mentions
                  FROM messages m
                 WHERE m.chat_id = p_chat AND m.id > target AND m.sender_id <> p_user
                   AND m.deleted_at IS NULL) x
         WHERE cm.chat_id = p_chat AND cm.user_id = p_user
        RETURNING cm.unread_count INTO unread;
        INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
        VALUES (s, p_chat, 'read', target, p_user);
        status := 'ok';
        last_read := target;
        seq := s;
        SELECT array_agg(cm.user_id ORDER BY cm.user_id) INTO member_ids
          FROM chat_members cm WHERE cm.chat_id = p_chat;
    END IF;
    SELECT coalesce(sum(cm.unread_count), 0)::bigint INTO total
      FROM chat_members cm WHERE cm.user_id = p_user;
END
$$;

-- 008_post_cost.sql -- fewer statements per post, and no parse per insert.
--
-- Measured with perf on the PostgreSQL backend during pgbench of
-- parley_post (docs/bench.md, "The write path after 008"):
-- * every INSERT into messages parsed the body of parley_tsv again.  The
--   stored tsv column's expression is prepared when each INSERT starts
--   (not kept with the cached plan), and preparing it inlines the LANGUAGE
--   sql function, which means parsing its text: base_yyparse under
--   ExecInitStoredGenerated on every post.  A plpgsql function with the
--   same body gives the same tsvector and keeps its plan for the session.
-- * a post ran about fifteen statements, each with its own executor start
--   (the largest share of the profile after the commit's WAL flush):
--   parley_post now inserts the message, its change row, the chat's
--   activity and every member's counts in one statement that also returns
--   the recipients, builds the stored message from what it wrote instead
--   of reading message_v back, reads the reply snippet with the reply check
--   and the sender's name with the token bucket.

-- The same three configurations, concatenated in the same order.
CREATE OR REPLACE FUNCTION parley_tsv(c text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN to_tsvector('simple'::regconfig, coalesce(c, '')) ||
           to_tsvector('russian'::regconfig, coalesce(c, '')) ||
           to_tsvector('english'::regconfig, coalesce(c, ''));
END
$$;

-- As in 006: status 'created' | 'exists' | 'not_member' | 'bad_reply' |
-- 'rate_limited' (seq holds the seconds to wait); the same checks in the
-- same order, the same rows written, the same answer.
CREATE OR REPLACE FUNCTION parley_post(p_chat bigint, p_sender bigint, p_content text,
                                       p_client_id text, p_rate real, p_burst real,
                                       p_reply_to bigint, p_mentions text[], p_uploads bigint[],
                                       OUT status text, OUT seq bigint, OUT msg message_v,
                                       OUT has_uploads boolean, OUT member_ids bigint[],
                                       OUT unread_counts bigint[], OUT total_unreads bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    s      bigint;
    tokens real;
    uname  text;
    mid    bigint;
    ids    bigint[] := '{}';
    rt     text;
BEGIN
    -- The membership check and the sending bucket (as parley_take_token of
    -- 003) in one statement, also reading the sender's name for the
    -- answer.  A non-member gets no row, so takes no token.
    SELECT least(p_burst, u.send_tokens +
                 least(extract(epoch FROM now() - u.send_at), 1e6)::real * p_rate),
           u.username
      INTO tokens, uname FROM users u
     WHERE u.id = p_sender
       AND EXISTS (SELECT 1 FROM chat_members cm
                    WHERE cm.chat_id = p_chat AND cm.user_id = p_sender)
       FOR NO KEY UPDATE OF u;
    IF NOT FOUND THEN
        status := 'not_member';
        RETURN;
    END IF;
    IF tokens < 1 THEN
        UPDATE users SET send_tokens = tokens, send_at = now() WHERE id = p_sender;
        status := 'rate_limited';
        seq := greatest(1, ceil((1 - tokens) / p_rate))::bigint;
        RETURN;
    END IF;
    -- The token taken is written with the insert below (the row is
    -- locked already), or here for a bad reply: every call that gets this
    -- far takes one, a repeated client_id too, as in 006.
    -- The reply check reads the snippet message_v shows (same expression).
    IF p_reply_to IS NOT NULL THEN
        SELECT json_build_object(
                   'id', o.id, 'sender_id', o.sender_id, 'sender_username', ou.username,
                   'snippet', CASE WHEN o.deleted_at IS NULL THEN left(o.content, 100) END,
                   'deleted', o.deleted_at IS NOT NULL)::text
          INTO rt FROM messages o JOIN users ou ON ou.id = o.sender_id
         WHERE o.id = p_reply_to AND o.chat_id = p_chat;
        IF NOT FOUND THEN
            UPDATE users SET send_tokens = tokens - 1, send_at = now() WHERE id = p_sender;
            status := 'bad_reply';
            RETURN;
        END IF;
    END IF;
    IF cardinality(p_mentions) > 0 THEN
        SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') INTO ids
          FROM users u JOIN chat_members cm ON cm.user_id = u.id AND cm.chat_id = p_chat
         WHERE lower(u.username) = ANY (p_mentions) AND u.id <> p_sender;
    END IF;
    -- Lock the chat row: orders posts within one chat, never across.
    PERFORM 1 FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
    PERFORM pg_current_xact_id();          -- xid before seq: see 001
    s := nextval('change_seq');
    -- The sending bucket and parley_insert_message of 003 in one
    -- statement: the message, its change row, the chat's activity, each
    -- member's counts (the sender's read marker moves to the new message),
    -- answering with the members' counts.  A member's total is the new
    -- count of this chat plus the others as this statement sees them.  A
    -- repeated client_id inserts nothing, and then nothing but the bucket
    -- is written.
    WITH b AS (
        UPDATE users SET send_tokens = tokens - 1, send_at = now() WHERE id = p_sender
    ), m AS (
        INSERT INTO messages (chat_id, sender_id, content, client_id, seq, reply_to_id, mentions)
        VALUES (p_chat, p_sender, p_content, p_client_id, s, p_reply_to, ids)
        ON CONFLICT (chat_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
        RETURNING id
    ), ch AS (
        INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
        SELECT s, p_chat, 'message_new', m.id, p_sender FROM m
    ), c AS (
        UPDATE chats SET updated_at = now(), last_message_id = m.id FROM m WHERE chats.id = p_chat
    ), cm AS (
        UPDATE chat_members cm
           SET unread_count = CASE WHEN cm.user_id = p_sender THEN 0 ELSE cm.unread_count + 1 END,
               mention_count = CASE WHEN cm.user_id = p_sender THEN 0
                                    WHEN cm.user_id = ANY (ids) THEN cm.mention_count + 1
                                    ELSE cm.mention_count END,
               last_read_message_id = CASE WHEN cm.user_id = p_sender THEN m.id
                                           ELSE cm.last_read_message_id END
          FROM m
         WHERE cm.chat_id = p_chat
        RETURNING cm.user_id, cm.unread_count, m.id
    )
    SELECT max(cm.id),
           array_agg(cm.user_id ORDER BY cm.user_id),
           array_agg(cm.unread_count::bigint ORDER BY cm.user_id),
           array_agg(cm.unread_count + (SELECT coalesce(sum(o.unread_count), 0)::bigint
                                          FROM chat_members o
                                         WHERE o.user_id = cm.user_id AND o.chat_id <> p_chat)
                     ORDER BY cm.user_id)
      INTO mid, member_ids, unread_counts, total_unreads FROM cm;
    IF mid IS NOT NULL THEN
        status := 'created';
        IF cardinality(p_uploads) > 0 THEN
            PERFORM parley_claim_uploads(mid, p_sender, p_uploads);
        END IF;
        -- The row as message_v shows it: created_at is now() (the column's
        -- default), a new message has no reactions and no system line.
        msg := ROW(mid, p_chat, p_sender, uname, p_content, parley_ts(now()), NULL, false,
                   p_client_id, s, array_to_json(ids)::text, rt, '[]', NULL)::message_v;
        seq := s;
        has_uploads := cardinality(p_uploads) > 0;
        RETURN;
    END IF;
    -- The same client_id was sent before: the stored one, as in 006.
    SELECT m.id INTO mid FROM messages m
     WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
    status := 'exists';
    IF cardinality(p_uploads) > 0 THEN
        PERFORM parley_claim_uploads(mid, p_sender, p_uploads);
    END IF;
    SELECT * INTO msg FROM message_v v WHERE v.id = mid;
    seq := msg.seq;
    has_uploads := cardinality(p_uploads) > 0 OR
                   EXISTS (SELECT 1 FROM uploads u WHERE u.message_id = mid);
    SELECT r.member_ids, r.unread_counts, r.total_unreads
      INTO member_ids, unread_counts, total_unreads FROM parley_recipients(p_chat) r;
END
$$;

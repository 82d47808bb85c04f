-- 014_chat_last.sql -- each chat row carries the card of its last message.
--
-- GET /api/chats read each chat's last message through message_v: the
-- message by id, its sender, a reactions probe, the reply target and its
-- sender, three parley_ts calls: 1,001 of the statement's 1,017 buffer
-- hits for 200 chats (docs/bench.md, "The chat list reads a card").  The list
-- shows only that one message, so the chat row now keeps it, already as
-- message_v shows it: the lm_* columns below are message_v's columns, in
-- its order, for chats.last_message_id (all NULL while there is none).
-- The list reads them from the row it reads anyway (fcgi-api/chatview.c),
-- whatever the history.
--
-- Columns on chats rather than a table of their own: no extra probe per
-- chat, and a post already UPDATEs this row (now with the card, built from
-- what the post wrote: nothing is read back).  Columns rather than one
-- composite: a field of a composite datum that was compressed (a long
-- message) is decompressed again for each of the 14 fields read.
--
-- The card must always equal message_v's row for last_message_id.  What
-- changes that row, and what keeps the card in step:
-- * a new last message: parley_post writes the card with last_message_id;
--   any other writer of last_message_id (system lines of membership
--   changes through parley_insert_message, the old functions of 001/003,
--   seeders) is caught by chats_card_fill, a BEFORE trigger that fills the
--   card from message_v whenever last_message_id and lm_id disagree (its
--   WHEN clause is all a post pays for it);
-- * an edit or delete of the last message, or of the message it replies to
--   (the reply_to snippet): messages_card, AFTER UPDATE, only when a
--   column message_v reads changed;
-- * reactions added or removed on the last message: reactions_card_ins /
--   reactions_card_del, once per statement (a delete removes all of a
--   message's reactions in one statement);
-- * a username change of the last message's sender or of the reply
--   target's sender: users_card (no route renames users today; a rename
--   scans chats, which is fine for something that rare);
-- * a chat or message removed: the card goes with the chat row; a message
--   removed (messages_card_delete; no route removes one today) refreshes
--   the card from message_v, as for an edit.
-- Lock order: every writer that reaches these triggers through the API
-- holds the chat row already (posts, edits, deletes and membership changes
-- lock it first); parley_react, which locked only the message, now locks
-- the chat row first too (below), the order parley_change uses, so a
-- reaction and an edit of the same message cannot deadlock.

ALTER TABLE chats
    ADD COLUMN lm_id bigint,
    ADD COLUMN lm_chat_id bigint,
    ADD COLUMN lm_sender_id bigint,
    ADD COLUMN lm_sender_username text,
    ADD COLUMN lm_content text,
    ADD COLUMN lm_created_at text,
    ADD COLUMN lm_edited_at text,
    ADD COLUMN lm_deleted boolean,
    ADD COLUMN lm_client_id text,
    ADD COLUMN lm_seq bigint,
    ADD COLUMN lm_mentions text,
    ADD COLUMN lm_reply_to text,
    ADD COLUMN lm_reactions text,
    ADD COLUMN lm_system text;

-- Every post UPDATEs its chat's row; room on the page keeps those updates
-- HOT now that the row carries a message (as chat_members in 011).
ALTER TABLE chats SET (fillfactor = 70);

-- Sets the card of chat p_chat (row already locked by the caller, or
-- locked here) from message_v: the one place a card is read back.
CREATE FUNCTION parley_card_refresh(p_chat bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chats c
       SET (lm_id, lm_chat_id, lm_sender_id, lm_sender_username, lm_content,
            lm_created_at, lm_edited_at, lm_deleted, lm_client_id, lm_seq,
            lm_mentions, lm_reply_to, lm_reactions, lm_system) =
           (SELECT v.id, v.chat_id, v.sender_id, v.sender_username, v.content,
                   v.created_at, v.edited_at, v.deleted, v.client_id, v.seq,
                   v.mentions, v.reply_to, v.reactions, v.system
              FROM message_v v WHERE v.id = c.last_message_id)
     WHERE c.id = p_chat;
END
$$;

-- Existing chats get their card (one chat at a time: a migration, once).
SELECT parley_card_refresh(c.id) FROM chats c WHERE c.last_message_id IS NOT NULL;

-- A new last message written without its card: fill it from message_v
-- (the message was inserted by an earlier statement, so it is visible).
CREATE FUNCTION parley_card_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT v.id, v.chat_id, v.sender_id, v.sender_username, v.content,
           v.created_at, v.edited_at, v.deleted, v.client_id, v.seq,
           v.mentions, v.reply_to, v.reactions, v.system
      INTO NEW.lm_id, NEW.lm_chat_id, NEW.lm_sender_id, NEW.lm_sender_username,
           NEW.lm_content, NEW.lm_created_at, NEW.lm_edited_at, NEW.lm_deleted,
           NEW.lm_client_id, NEW.lm_seq, NEW.lm_mentions, NEW.lm_reply_to,
           NEW.lm_reactions, NEW.lm_system
      FROM message_v v WHERE v.id = NEW.last_message_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER chats_card_fill
    BEFORE INSERT OR UPDATE OF last_message_id ON chats
    FOR EACH ROW WHEN (NEW.last_message_id IS DISTINCT FROM NEW.lm_id)
    EXECUTE FUNCTION parley_card_fill();

-- A message changed or removed: refresh the card of its chat if it is the
-- last message or the one the last message replies to.
CREATE FUNCTION parley_card_message() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r messages%ROWTYPE := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM parley_card_refresh(c.id) FROM chats c
     WHERE c.id = r.chat_id
       AND (c.last_message_id = r.id OR c.lm_id = r.id
            OR (c.lm_reply_to IS NOT NULL AND (c.lm_reply_to::json->>'id')::bigint = r.id));
    RETURN NULL;
END
$$;
-- Only the columns message_v reads (not tsv).
CREATE TRIGGER messages_card
    AFTER UPDATE ON messages
    FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content
                       OR OLD.edited_at IS DISTINCT FROM NEW.edited_at
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
                       OR OLD.seq IS DISTINCT FROM NEW.seq
                       OR OLD.mentions IS DISTINCT FROM NEW.mentions
                       OR OLD.client_id IS DISTINCT FROM NEW.client_id
                       OR OLD.reply_to_id IS DISTINCT FROM NEW.reply_to_id
                       OR OLD.system IS DISTINCT FROM NEW.system
                       OR OLD.sender_id IS DISTINCT FROM NEW.sender_id
                       OR OLD.created_at IS DISTINCT FROM NEW.created_at
                       OR OLD.chat_id IS DISTINCT FROM NEW.chat_id)
    EXECUTE FUNCTION parley_card_message();
CREATE TRIGGER messages_card_delete
    AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION parley_card_message();

-- Reactions added or removed: refresh the cards whose message they are on.
-- Once per statement (transition table), whatever the number of rows.
CREATE FUNCTION parley_card_reactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM parley_card_refresh(c.id)
       FROM (SELECT DISTINCT t.message_id FROM card_rx t) x
       JOIN messages m ON m.id = x.message_id
       JOIN chats c ON c.id = m.chat_id AND c.last_message_id = m.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER reactions_card_ins
    AFTER INSERT ON reactions REFERENCING NEW TABLE AS card_rx
    FOR EACH STATEMENT EXECUTE FUNCTION parley_card_reactions();
CREATE TRIGGER reactions_card_del
    AFTER DELETE ON reactions REFERENCING OLD TABLE AS card_rx
    FOR EACH STATEMENT EXECUTE FUNCTION parley_card_reactions();

-- A renamed user: the cards that show the name (as sender or as the
-- reply target's sender).  No route renames users; this keeps the card
-- exact if one ever does (a scan of chats).
CREATE FUNCTION parley_card_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM parley_card_refresh(c.id) FROM chats c
     WHERE c.lm_sender_id = NEW.id
        OR (c.lm_reply_to IS NOT NULL AND (c.lm_reply_to::json->>'sender_id')::bigint = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER users_card
    AFTER UPDATE OF username ON users
    FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION parley_card_user();

-- As in 003, with the chat row locked before the message (the order of
-- parley_change): the reaction triggers above update the chat row, and a
-- reaction holding the message while waiting for the chat row could
-- deadlock with an edit holding the chat row while waiting for the message.
CREATE OR REPLACE FUNCTION parley_react(p_msg bigint, p_user bigint, p_emoji text, p_add boolean,
                             p_max int, OUT status text, OUT chat_id bigint,
                             OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    m messages%ROWTYPE;
    s bigint;
    n int;
BEGIN
    SELECT * INTO m FROM messages WHERE id = p_msg;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = m.chat_id AND cm.user_id = p_user) THEN
        status := 'not_found';
        RETURN;
    END IF;
    chat_id := m.chat_id;
    -- The chat row first (014): the card triggers write it.
    PERFORM 1 FROM chats c WHERE c.id = m.chat_id FOR NO KEY UPDATE;
    -- One writer per message at a time: the distinct-emoji cap holds.
    SELECT * INTO m FROM messages WHERE id = p_msg FOR NO KEY UPDATE;
    IF m.deleted_at IS NOT NULL OR m.system IS NOT NULL THEN
        status := 'deleted';
        RETURN;
    END IF;
    IF p_add THEN
        PERFORM 1 FROM reactions r WHERE r.message_id = p_msg AND r.emoji = p_emoji
                                     AND r.user_id = p_user;
        IF FOUND THEN
            status := 'unchanged';
            RETURN;
        END IF;
        PERFORM 1 FROM reactions r WHERE r.message_id = p_msg AND r.emoji = p_emoji;
        IF NOT FOUND THEN
            SELECT count(DISTINCT r.emoji) INTO n FROM reactions r WHERE r.message_id = p_msg;
            IF n >= p_max THEN
                status := 'too_many';
                RETURN;
            END IF;
        END IF;
        PERFORM pg_current_xact_id();
        s := nextval('change_seq');
        INSERT INTO reactions (message_id, user_id, emoji) VALUES (p_msg, p_user, p_emoji);
    ELSE
        PERFORM pg_current_xact_id();
        DELETE FROM reactions r WHERE r.message_id = p_msg AND r.emoji = p_emoji
                                  AND r.user_id = p_user;
        IF NOT FOUND THEN
            status := 'unchanged';
            RETURN;
        END IF;
        s := nextval('change_seq');
    END IF;
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    VALUES (s, m.chat_id, 'reaction', p_msg, p_user);
    status := 'ok';
    seq := s;
END
$$;


-- As in 008, and the post writes its chat's card with last_message_id (the
-- CTE c).  CREATE OR REPLACE resets the function's SET clause: 011's is
-- set again below.
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
        -- The chat's card (014): the message as message_v shows it, the
        -- same values as msg below.
        UPDATE chats SET updated_at = now(), last_message_id = m.id,
               (lm_id, lm_chat_id, lm_sender_id, lm_sender_username, lm_content,
                lm_created_at, lm_edited_at, lm_deleted, lm_client_id, lm_seq,
                lm_mentions, lm_reply_to, lm_reactions, lm_system) =
               (m.id, p_chat, p_sender, uname, p_content, parley_ts(now()), NULL, false,
                p_client_id, s, array_to_json(ids)::text, rt, '[]', NULL)
          FROM m WHERE chats.id = p_chat
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

ALTER FUNCTION parley_post(bigint, bigint, text, text, real, real, bigint, text[], bigint[])
    SET enable_bitmapscan = off;

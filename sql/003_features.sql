-- 003_features.sql -- search, mentions, replies, reactions, group membership.
--
-- Every new kind of change is still one row in `changes` with its own seq
-- (drawn after the transaction id, as in 001_schema.sql), so /api/sync
-- replays it and the cursor never skips one.  Membership changes lock the
-- chat row, like posts, so unread and mention counts stay exact when posts
-- and membership changes race.
-- * Row locks here are FOR NO KEY UPDATE (no key column ever changes): they
--   still serialise writers of one row, but do not conflict with the
--   FOR KEY SHARE locks foreign-key checks take (a message insert on its
--   sender and chat, a reaction on its message), which would otherwise
--   deadlock a post that holds its sender's row against a membership change
--   that holds the chat row and inserts a line by the same user.

-- Groups have an owner (renames, removing others); direct chats have none.
ALTER TABLE chats ADD COLUMN owner_id bigint REFERENCES users(id);
UPDATE chats SET owner_id = created_by WHERE kind = 'group';

-- Messages of others after the read marker that mention this member,
-- deleted ones excluded; kept exact like unread_count.
ALTER TABLE chat_members ADD COLUMN mention_count integer NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN mentions bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN reply_to_id bigint REFERENCES messages(id);
-- System lines ("user1 added user3"): {"action","actor_id","user_ids"}.
ALTER TABLE messages ADD COLUMN system jsonb;

-- Search: the words as written ('simple': exact words and prefixes in any
-- language) plus Russian and English stems, so "работать" finds
-- "работает".  System lines and tombstones are not searchable.
CREATE FUNCTION parley_tsv(c text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig, coalesce(c, '')) ||
           to_tsvector('russian'::regconfig, coalesce(c, '')) ||
           to_tsvector('english'::regconfig, coalesce(c, ''))
$$;
ALTER TABLE messages ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (CASE WHEN system IS NULL AND content IS NOT NULL
                              THEN parley_tsv(content) END) STORED;
CREATE INDEX messages_tsv ON messages USING gin (tsv);

-- One word of a search as a tsquery: the word itself or any of its stems;
-- `prefix` matches words starting with it (the word being typed).  The
-- caller passes only letters and digits (fcgi-api/search_query.c), so no
-- tsquery operator can reach to_tsquery.
CREATE FUNCTION parley_word_query(w text, prefix boolean) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsquery('simple'::regconfig, w || CASE WHEN prefix THEN ':*' ELSE '' END) ||
           to_tsquery('russian'::regconfig, w || CASE WHEN prefix THEN ':*' ELSE '' END) ||
           to_tsquery('english'::regconfig, w || CASE WHEN prefix THEN ':*' ELSE '' END)
$$;

-- All words must match; the last one as a prefix.
CREATE FUNCTION parley_search_query(words text[]) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q tsquery;
    n int := coalesce(cardinality(words), 0);
BEGIN
    FOR i IN 1 .. n LOOP
        IF q IS NULL THEN
            q := parley_word_query(words[i], i = n);
        ELSE
            q := q && parley_word_query(words[i], i = n);
        END IF;
    END LOOP;
    RETURN q;
END
$$;

CREATE TABLE reactions (
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (message_id, emoji, user_id)
);

-- New kinds of change.  target_ids: the members a membership change is
-- about (added, removed), so the one removed still gets their chat_removed.
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (kind IN (
    'message_new', 'message_edit', 'message_delete', 'read', 'chat_created',
    'reaction', 'chat_updated', 'members_added', 'member_removed'));
ALTER TABLE changes ADD COLUMN target_ids bigint[];
CREATE INDEX changes_removed ON changes USING gin (target_ids)
    WHERE kind = 'member_removed';

-- A message's reactions: [{"emoji","user_ids":[...]}], first reacted first.
CREATE FUNCTION parley_reactions(m bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('emoji', x.emoji, 'user_ids', x.ids)
                             ORDER BY x.first_at, x.emoji), '[]'::json)
      FROM (SELECT r.emoji, array_agg(r.user_id ORDER BY r.created_at, r.user_id) AS ids,
                   min(r.created_at) AS first_at
              FROM reactions r WHERE r.message_id = m GROUP BY r.emoji) x
$$;

-- The Message shape gains mentions, reply_to, reactions and system (JSON
-- text, appended after the columns of 001 so the view can be replaced).
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
           parley_reactions(m.id)::text AS reactions,
           m.system::text AS system
      FROM messages m JOIN users u ON u.id = m.sender_id;

-- Mentions of user u in chat c after marker r, counted (read markers only).
CREATE FUNCTION parley_count_mentions(c bigint, u bigint, r bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM messages m
     WHERE m.chat_id = c AND m.id > r AND m.sender_id <> u AND m.deleted_at IS NULL
       AND u = ANY (m.mentions)
$$;

-- Takes one token from the user's sending bucket.  Returns 0, or the whole
-- seconds to wait when the bucket is empty.
CREATE FUNCTION parley_take_token(p_user bigint, p_rate real, p_burst real) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    tokens real;
BEGIN
    SELECT least(p_burst, u.send_tokens +
                  least(extract(epoch FROM now() - u.send_at), 1e6)::real * p_rate)
      INTO tokens FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
    IF tokens < 1 THEN
        UPDATE users SET send_tokens = tokens, send_at = now() WHERE id = p_user;
        RETURN greatest(1, ceil((1 - tokens) / p_rate))::bigint;
    END IF;
    UPDATE users SET send_tokens = tokens - 1, send_at = now() WHERE id = p_user;
    RETURN 0;
END
$$;

-- Inserts a message (chat row already locked by the caller), with its
-- change row, chat activity, every member's unread count, the mentioned
-- members' mention counts and the sender's read marker.  Returns its id.
CREATE FUNCTION parley_insert_message(p_chat bigint, p_sender bigint, p_content text,
                                      p_client_id text, p_reply_to bigint,
                                      p_mentions bigint[], p_system jsonb, s bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    mid bigint;
BEGIN
    INSERT INTO messages (chat_id, sender_id, content, client_id, seq, reply_to_id,
                          mentions, system)
    VALUES (p_chat, p_sender, p_content, p_client_id, s, p_reply_to,
            coalesce(p_mentions, '{}'), p_system)
    ON CONFLICT (chat_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id INTO mid;
    IF mid IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    VALUES (s, p_chat, 'message_new', mid, p_sender);
    UPDATE chats SET updated_at = now(), last_message_id = mid WHERE id = p_chat;
    UPDATE chat_members cm
       SET unread_count = CASE WHEN cm.user_id = p_sender THEN 0 ELSE cm.unread_count + 1 END,
           mention_count = CASE WHEN cm.user_id = p_sender THEN 0
                                WHEN cm.user_id = ANY (p_mentions) THEN cm.mention_count + 1
                                ELSE cm.mention_count END,
           last_read_message_id = CASE WHEN cm.user_id = p_sender THEN mid
                                       ELSE cm.last_read_message_id END
     WHERE cm.chat_id = p_chat;
    RETURN mid;
END
$$;

-- Post a message.  status: 'created' | 'exists' (same client_id) |
-- 'not_member' | 'bad_reply' (reply_to not a message of this chat) |
-- 'rate_limited' (seq then holds the seconds to wait).  Every call takes a
-- token, a repeated client_id too (it costs the server the same work).
-- p_mentions: lower-cased usernames written as @name; those who are
-- members (other than the sender) are stored as mentioned.
DROP FUNCTION parley_post_message(bigint, bigint, text, text, real, real);
CREATE FUNCTION parley_post_message(p_chat bigint, p_sender bigint,
                                    p_content text, p_client_id text,
                                    p_rate real, p_burst real,
                                    p_reply_to bigint DEFAULT NULL,
                                    p_mentions text[] DEFAULT NULL,
                                    OUT status text, OUT message_id bigint,
                                    OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    s    bigint;
    wait bigint;
    ids  bigint[];
BEGIN
    PERFORM 1 FROM chat_members WHERE chat_id = p_chat AND user_id = p_sender;
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
    IF p_client_id IS NOT NULL THEN
        SELECT m.id, m.seq INTO message_id, seq FROM messages m
         WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
        IF FOUND THEN
            status := 'exists';
            RETURN;
        END IF;
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
    PERFORM 1 FROM chats WHERE id = p_chat FOR NO KEY UPDATE;
    PERFORM pg_current_xact_id();          -- xid before seq: see 001
    s := nextval('change_seq');
    message_id := parley_insert_message(p_chat, p_sender, p_content, p_client_id,
                                        p_reply_to, ids, NULL, s);
    IF message_id IS NULL THEN             -- a concurrent twin won the race
        SELECT m.id, m.seq INTO message_id, seq FROM messages m
         WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
        status := 'exists';
        RETURN;
    END IF;
    status := 'created';
    seq := s;
END
$$;

-- Edit or delete a message.  p_content NULL means delete.
-- status: 'ok' | 'unchanged' (already deleted) | 'not_found' (no such message
-- or not a member of its chat) | 'forbidden' (not the author) | 'deleted' |
-- 'rate_limited' (edits only; seq holds the seconds to wait).
DROP FUNCTION parley_change_message(bigint, bigint, text);
CREATE FUNCTION parley_change_message(p_msg bigint, p_user bigint, p_content text,
                                      p_rate real, p_burst real,
                                      OUT status text, OUT chat_id bigint,
                                      OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    m    messages%ROWTYPE;
    s    bigint;
    wait bigint;
BEGIN
    SELECT * INTO m FROM messages WHERE id = p_msg;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = m.chat_id AND cm.user_id = p_user) THEN
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
    PERFORM pg_current_xact_id();
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
        UPDATE messages SET content = p_content, edited_at = now(), seq = s WHERE id = p_msg;
        INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
        VALUES (s, m.chat_id, 'message_edit', p_msg, p_user);
    END IF;
    status := 'ok';
    seq := s;
END
$$;

-- Move a read marker forward (never back): as in 001, and the mention
-- count is recounted with the unread count.
CREATE OR REPLACE FUNCTION parley_mark_read(p_chat bigint, p_user bigint, p_msg bigint,
                                            OUT status text, OUT last_read bigint,
                                            OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cur    bigint;
    target bigint;
    s      bigint;
BEGIN
    SELECT cm.last_read_message_id INTO cur FROM chat_members cm
     WHERE cm.chat_id = p_chat AND cm.user_id = p_user FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        status := 'not_member';
        RETURN;
    END IF;
    IF p_msg IS NULL THEN
        SELECT coalesce(max(id), 0) INTO target FROM messages WHERE chat_id = p_chat;
    ELSE
        PERFORM 1 FROM messages WHERE id = p_msg AND chat_id = p_chat;
        IF NOT FOUND THEN
            status := 'no_message';
            RETURN;
        END IF;
        target := p_msg;
    END IF;
    IF target <= cur THEN
        status := 'unchanged';
        last_read := cur;
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    s := nextval('change_seq');
    UPDATE chat_members
       SET last_read_message_id = target,
           unread_count = parley_count_unread(p_chat, p_user, target),
           mention_count = parley_count_mentions(p_chat, p_user, target)
     WHERE chat_id = p_chat AND user_id = p_user;
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    VALUES (s, p_chat, 'read', target, p_user);
    status := 'ok';
    last_read := target;
    seq := s;
END
$$;

-- Create a group chat of the creator (its owner) and p_members.
-- status: 'created' | 'no_user' (some id unknown) | 'too_large'.
DROP FUNCTION parley_group_chat(bigint, text, bigint[]);
CREATE FUNCTION parley_group_chat(p_user bigint, p_title text, p_members bigint[],
                                  p_max int,
                                  OUT status text, OUT chat_id bigint,
                                  OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    s   bigint;
BEGIN
    SELECT array_agg(DISTINCT x) INTO ids FROM unnest(p_members || p_user) AS x;
    IF cardinality(ids) > p_max THEN
        status := 'too_large';
        RETURN;
    END IF;
    IF (SELECT count(*) FROM users WHERE id = ANY (ids)) <> cardinality(ids) THEN
        status := 'no_user';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    INSERT INTO chats (kind, title, created_by, owner_id) VALUES ('group', p_title, p_user, p_user)
    RETURNING id INTO chat_id;
    INSERT INTO chat_members (chat_id, user_id) SELECT chat_id, x FROM unnest(ids) AS x;
    s := nextval('change_seq');
    INSERT INTO changes (seq, chat_id, kind, user_id) VALUES (s, chat_id, 'chat_created', p_user);
    status := 'created';
    seq := s;
END
$$;

-- Add or remove one reaction.  status: 'ok' | 'unchanged' | 'not_found'
-- (no such message or not a member) | 'deleted' | 'too_many' (the message
-- already has 20 other emoji).
CREATE FUNCTION parley_react(p_msg bigint, p_user bigint, p_emoji text, p_add boolean,
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

-- The system line of a membership change, with its own seq.
CREATE FUNCTION parley_system_line(p_chat bigint, p_actor bigint, p_action text,
                                   p_users bigint[], p_text text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s bigint := nextval('change_seq');
BEGIN
    PERFORM parley_insert_message(p_chat, p_actor, p_text, NULL, NULL, NULL,
        jsonb_build_object('action', p_action, 'actor_id', p_actor,
                           'user_ids', to_jsonb(coalesce(p_users, '{}'))), s);
    RETURN s;
END
$$;

-- Any member adds users to a group.  status: 'ok' | 'unchanged' (all were
-- members) | 'not_found' (no chat or caller not a member) | 'not_group' |
-- 'no_user' | 'too_large'.  added: the new members; seq: the members_added
-- change's; line_seq: the system line's.
CREATE FUNCTION parley_add_members(p_chat bigint, p_user bigint, p_users bigint[],
                                   p_max int, OUT status text, OUT added bigint[],
                                   OUT seq bigint, OUT line_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c     chats%ROWTYPE;
    ids   bigint[];
    names text;
    s     bigint;
BEGIN
    SELECT * INTO c FROM chats WHERE id = p_chat FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = p_chat AND cm.user_id = p_user) THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF c.kind <> 'group' THEN
        status := 'not_group';
        RETURN;
    END IF;
    SELECT array_agg(DISTINCT x) INTO ids FROM unnest(p_users) AS x;
    IF (SELECT count(*) FROM users WHERE id = ANY (ids)) <> coalesce(cardinality(ids), 0) THEN
        status := 'no_user';
        RETURN;
    END IF;
    SELECT array_agg(x ORDER BY x) INTO added FROM unnest(ids) AS x
     WHERE NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = x);
    IF added IS NULL THEN
        status := 'unchanged';
        RETURN;
    END IF;
    IF (SELECT count(*) FROM chat_members cm WHERE cm.chat_id = p_chat)
       + cardinality(added) > p_max THEN
        status := 'too_large';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    s := nextval('change_seq');
    -- New members start with everything already posted read.
    INSERT INTO chat_members (chat_id, user_id, last_read_message_id)
    SELECT p_chat, x, coalesce(c.last_message_id, 0) FROM unnest(added) AS x;
    INSERT INTO changes (seq, chat_id, kind, user_id, target_ids)
    VALUES (s, p_chat, 'members_added', p_user, added);
    SELECT string_agg(u.username, ', ' ORDER BY u.id) INTO names FROM users u WHERE u.id = ANY (added);
    seq := s;
    line_seq := parley_system_line(p_chat, p_user, 'added', added,
        (SELECT username FROM users WHERE id = p_user) || ' added ' || names);
    status := 'ok';
END
$$;

-- Leave (p_target = p_user) or remove someone (owner only).  An owner who
-- leaves hands the group to the longest-standing member; the last one out
-- leaves an empty group nobody sees.  status: 'ok' | 'not_found' |
-- 'no_member' (target not in the group) | 'not_group' | 'forbidden'.
-- seq: the member_removed change's; line_seq: the system line's (0: none).
CREATE FUNCTION parley_remove_member(p_chat bigint, p_user bigint, p_target bigint,
                                     OUT status text, OUT seq bigint, OUT line_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c     chats%ROWTYPE;
    s     bigint;
    heir  bigint;
    actor text;
BEGIN
    SELECT * INTO c FROM chats WHERE id = p_chat FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = p_chat AND cm.user_id = p_user) THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF c.kind <> 'group' THEN
        status := 'not_group';
        RETURN;
    END IF;
    IF p_target <> p_user AND c.owner_id IS DISTINCT FROM p_user THEN
        status := 'forbidden';
        RETURN;
    END IF;
    PERFORM 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_target;
    IF NOT FOUND THEN
        status := 'no_member';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    s := nextval('change_seq');
    DELETE FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_target;
    IF c.owner_id = p_target THEN
        SELECT cm.user_id INTO heir FROM chat_members cm WHERE cm.chat_id = p_chat
         ORDER BY cm.joined_at, cm.user_id LIMIT 1;
        UPDATE chats SET owner_id = heir WHERE id = p_chat;
    END IF;
    INSERT INTO changes (seq, chat_id, kind, user_id, target_ids)
    VALUES (s, p_chat, 'member_removed', p_user, ARRAY[p_target]);
    seq := s;
    line_seq := 0;
    IF EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = p_chat) THEN
        SELECT username INTO actor FROM users WHERE id = p_user;
        line_seq := parley_system_line(p_chat, p_user,
            CASE WHEN p_target = p_user THEN 'left' ELSE 'removed' END, ARRAY[p_target],
            CASE WHEN p_target = p_user THEN actor || ' left'
                 ELSE actor || ' removed ' || (SELECT username FROM users WHERE id = p_target) END);
    END IF;
    status := 'ok';
END
$$;

-- The owner renames a group.  status: 'ok' | 'unchanged' | 'not_found' |
-- 'not_group' | 'forbidden'.  seq: the chat_updated change's.
CREATE FUNCTION parley_rename_chat(p_chat bigint, p_user bigint, p_title text,
                                   OUT status text, OUT seq bigint, OUT line_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c chats%ROWTYPE;
    s bigint;
BEGIN
    SELECT * INTO c FROM chats WHERE id = p_chat FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = p_chat AND cm.user_id = p_user) THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF c.kind <> 'group' THEN
        status := 'not_group';
        RETURN;
    END IF;
    IF c.owner_id IS DISTINCT FROM p_user THEN
        status := 'forbidden';
        RETURN;
    END IF;
    IF c.title = p_title THEN
        status := 'unchanged';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    s := nextval('change_seq');
    UPDATE chats SET title = p_title WHERE id = p_chat;
    INSERT INTO changes (seq, chat_id, kind, user_id) VALUES (s, p_chat, 'chat_updated', p_user);
    seq := s;
    line_seq := parley_system_line(p_chat, p_user, 'renamed', NULL,
        (SELECT username FROM users WHERE id = p_user) || ' renamed the group to ' || p_title);
    status := 'ok';
END
$$;

-- Search: the caller's messages matching the words, newest first, each with
-- the text marked by \x02 .. \x03 around matches (ts_headline with each
-- configuration in turn; the marks are removed from the text first).
-- p_chat 0: every chat the caller is in now.
--
-- Two steps, because no single plan suits both kinds of query (and the
-- planner cannot tell them apart: a prefix's frequency is a guess):
-- 1. the newest 5000 messages of the caller's chats are checked; a common
--    word fills the page from these, and they are then exactly the newest
--    matches;
-- 2. otherwise (a rare word) the GIN index finds every match and the
--    newest are kept ("id + 0" stops a walk down the primary key, which
--    would read the whole table for a word that is nowhere).
-- The statements are built per call (EXECUTE), so each is planned for the
-- actual query and chat list.
CREATE FUNCTION parley_search(p_user bigint, p_words text[], p_chat bigint,
                              p_before bigint, p_limit int)
RETURNS TABLE (id bigint, chat_id bigint, sender_id bigint, sender_username text,
               content text, created_at text, edited_at text, deleted boolean,
               client_id text, seq bigint, mentions text, reply_to text,
               reactions text, system text, marked text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q      tsquery := parley_search_query(p_words);
    opt    text := format('HighlightAll=true,StartSel=%s,StopSel=%s', chr(2), chr(3));
    chats  text := CASE WHEN p_chat = 0
                        THEN 'm.chat_id IN (SELECT cm.chat_id FROM chat_members cm WHERE cm.user_id = $2)'
                        ELSE 'm.chat_id = $5' END;
    ids    bigint[];
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
        '  SELECT r.id FROM (SELECT m.id, m.tsv FROM messages m'
        '                     WHERE %s AND m.id < $3 ORDER BY m.id DESC LIMIT 5000) r'
        '   WHERE r.tsv @@ $1 ORDER BY r.id DESC LIMIT $4) w', chats)
        INTO ids USING q, p_user, p_before, p_limit, p_chat;
    IF coalesce(cardinality(ids), 0) < p_limit THEN
        EXECUTE format(
            'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
            '  SELECT m.id FROM messages m WHERE m.tsv @@ $1 AND m.id < $3 AND %s'
            '   ORDER BY m.id + 0 DESC LIMIT $4) w', chats)
            INTO ids USING q, p_user, p_before, p_limit, p_chat;
    END IF;
    RETURN QUERY
        SELECT mv.*, ts_headline('english', ts_headline('russian', ts_headline('simple',
                   translate(mv.content, chr(2) || chr(3), '  '), q, opt), q, opt), q, opt)
          FROM message_v mv WHERE mv.id = ANY (ids) ORDER BY mv.id DESC;
END
$$;

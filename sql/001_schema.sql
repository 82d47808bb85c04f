-- 001_schema.sql -- Parley's tables and write functions.
--
-- Design notes (docs/architecture.md has the longer story):
-- * Every change a client can observe (message posted/edited/deleted, read
--   marker moved, chat created) is one row in `changes`, numbered by the
--   global sequence change_seq.  Messages carry the seq of their latest change.
-- * The sync cursor must never skip a change that commits late.  Writers take
--   a transaction id *before* drawing a seq (pg_current_xact_id() first), so a
--   reader that notes the sequence's last value L and then waits for every
--   transaction that was in flight at that moment knows that all seqs <= L
--   are settled (committed and visible, or rolled back).  parley_settled_seq() does exactly
--   that; /api/sync returns changes in (since, L] and L as the new cursor.
--   Writers never wait for each other across chats; a post locks only its
--   own chat row.
-- * Each write is one plpgsql function call: one round trip, one transaction,
--   and the seq is drawn last, so transactions holding a seq are short.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    send_tokens   real NOT NULL DEFAULT 0,           -- sending token bucket
    send_at       timestamptz NOT NULL DEFAULT 'epoch'
);
-- Usernames are unique regardless of case; prefix search uses the same key.
CREATE UNIQUE INDEX users_username_key ON users (lower(username) text_pattern_ops);

CREATE TABLE chats (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('direct', 'group')),
    title           text,
    direct_key      text UNIQUE,        -- '<low id>:<high id>' for direct chats
    created_by      bigint NOT NULL REFERENCES users(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),   -- last activity
    last_message_id bigint
);

CREATE TABLE chat_members (
    chat_id              bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    user_id              bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_message_id bigint NOT NULL DEFAULT 0,
    -- Messages of others after the read marker, deleted ones excluded; kept
    -- exact by the write functions below, inside their transactions, so
    -- reading a badge or a total never counts messages.
    unread_count         integer NOT NULL DEFAULT 0,
    joined_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id, chat_id);

CREATE SEQUENCE change_seq;

CREATE TABLE messages (
    id          bigserial PRIMARY KEY,
    chat_id     bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    sender_id   bigint NOT NULL REFERENCES users(id),
    content     text,                   -- NULL once deleted (tombstone)
    client_id   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    edited_at   timestamptz,
    deleted_at  timestamptz,
    seq         bigint NOT NULL
);
CREATE INDEX messages_chat ON messages (chat_id, id);
-- Unread counts scan only live messages after a read marker.
CREATE INDEX messages_unread ON messages (chat_id, id) INCLUDE (sender_id)
    WHERE deleted_at IS NULL;
-- Idempotent sends: one message per (chat, sender, client_id).
CREATE UNIQUE INDEX messages_client_id ON messages (chat_id, sender_id, client_id)
    WHERE client_id IS NOT NULL;

CREATE TABLE changes (
    seq         bigint PRIMARY KEY,
    chat_id     bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('message_new', 'message_edit',
                     'message_delete', 'read', 'chat_created')),
    message_id  bigint,                 -- message changes; read: the marker
    user_id     bigint NOT NULL,        -- who made the change
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_chat_seq ON changes (chat_id, seq);

-- RFC 3339 UTC with milliseconds, the API's time format.
CREATE FUNCTION parley_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- One row per message in the API's Message shape (plus seq).
CREATE VIEW message_v AS
    SELECT m.id, m.chat_id, m.sender_id, u.username AS sender_username,
           m.content, parley_ts(m.created_at) AS created_at,
           parley_ts(m.edited_at) AS edited_at,
           (m.deleted_at IS NOT NULL) AS deleted, m.client_id, m.seq
      FROM messages m JOIN users u ON u.id = m.sender_id;

-- Unread messages of user u in chat c after marker r, counted: used only
-- when a read marker moves (the result is stored in chat_members).
CREATE FUNCTION parley_count_unread(c bigint, u bigint, r bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM messages m
     WHERE m.chat_id = c AND m.id > r AND m.sender_id <> u AND m.deleted_at IS NULL
$$;

-- A user's unread messages over all chats.
CREATE FUNCTION parley_total_unread(u bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(cm.unread_count), 0)::bigint FROM chat_members cm WHERE cm.user_id = u
$$;

-- The highest seq below which every change is settled (see the header).
-- Every transaction holds a lock on its own transaction id from the moment
-- the id is assigned until after its commit is visible to new snapshots, so
-- "settled" means: each transaction id lock held when we read the sequence
-- has been released.  (Snapshot xip lists are not enough: a transaction
-- newer than the latest completed one is running without being listed.)
-- Only transactions of this database count.  Writers hold a seq for well
-- under a millisecond; after ~3 s this gives up with SQLSTATE 55P03 and the
-- API answers 503.
CREATE FUNCTION parley_settled_seq() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last    bigint;
    waitfor xid[];
    tries   int := 0;
BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO last FROM change_seq;
    SELECT array_agg(l.transactionid) INTO waitfor
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
       AND a.datname = current_database() AND l.pid <> pg_backend_pid();
    WHILE waitfor IS NOT NULL LOOP
        PERFORM 1 FROM pg_locks l
         WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock'
           AND l.transactionid = ANY (waitfor);
        EXIT WHEN NOT FOUND;
        tries := tries + 1;
        IF tries > 3000 THEN
            RAISE EXCEPTION 'writers did not settle' USING ERRCODE = '55P03';
        END IF;
        PERFORM pg_sleep(0.001);
    END LOOP;
    RETURN last;
END
$$;

-- Post a message.  status: 'created' | 'exists' (same client_id) |
-- 'not_member' | 'rate_limited' (seq then holds the seconds to wait).
-- Sending takes a token from the sender's bucket (p_rate a second, up to
-- p_burst); a repeated client_id costs nothing.  Posting also moves the
-- sender's read marker to the new message.
CREATE FUNCTION parley_post_message(p_chat bigint, p_sender bigint,
                                    p_content text, p_client_id text,
                                    p_rate real, p_burst real,
                                    OUT status text, OUT message_id bigint,
                                    OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    s      bigint;
    tokens real;
BEGIN
    PERFORM 1 FROM chat_members WHERE chat_id = p_chat AND user_id = p_sender;
    IF NOT FOUND THEN
        status := 'not_member';
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
    SELECT least(p_burst, u.send_tokens +
                  least(extract(epoch FROM now() - u.send_at), 1e6)::real * p_rate)
      INTO tokens FROM users u WHERE u.id = p_sender FOR UPDATE;
    IF tokens < 1 THEN
        UPDATE users SET send_tokens = tokens, send_at = now() WHERE id = p_sender;
        status := 'rate_limited';
        seq := ceil((1 - tokens) / p_rate)::bigint;
        RETURN;
    END IF;
    UPDATE users SET send_tokens = tokens - 1, send_at = now() WHERE id = p_sender;
    -- Lock the chat row: orders posts within one chat, never across.
    PERFORM 1 FROM chats WHERE id = p_chat FOR UPDATE;
    PERFORM pg_current_xact_id();          -- xid before seq: see the header
    s := nextval('change_seq');
    INSERT INTO messages (chat_id, sender_id, content, client_id, seq)
    VALUES (p_chat, p_sender, p_content, p_client_id, s)
    ON CONFLICT (chat_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id INTO message_id;
    IF message_id IS NULL THEN             -- a concurrent twin won the race
        SELECT m.id, m.seq INTO message_id, seq FROM messages m
         WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
        status := 'exists';
        RETURN;
    END IF;
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    VALUES (s, p_chat, 'message_new', message_id, p_sender);
    UPDATE chats SET updated_at = now(), last_message_id = message_id WHERE id = p_chat;
    -- One more unread for everyone else; the sender has read up to here.
    UPDATE chat_members cm
       SET unread_count = CASE WHEN cm.user_id = p_sender THEN 0 ELSE cm.unread_count + 1 END,
           last_read_message_id = CASE WHEN cm.user_id = p_sender THEN message_id
                                       ELSE cm.last_read_message_id END
     WHERE cm.chat_id = p_chat;
    status := 'created';
    seq := s;
END
$$;

-- Edit or delete a message.  p_content NULL means delete.
-- status: 'ok' | 'unchanged' (already deleted) | 'not_found' (no such message
-- or not a member of its chat) | 'forbidden' (not the author) | 'deleted'.
CREATE FUNCTION parley_change_message(p_msg bigint, p_user bigint, p_content text,
                                      OUT status text, OUT chat_id bigint,
                                      OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    m messages%ROWTYPE;
    s bigint;
BEGIN
    SELECT * INTO m FROM messages WHERE id = p_msg FOR UPDATE;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM chat_members cm
                                 WHERE cm.chat_id = m.chat_id AND cm.user_id = p_user) THEN
        status := 'not_found';
        RETURN;
    END IF;
    chat_id := m.chat_id;
    IF m.sender_id <> p_user THEN
        status := 'forbidden';
        RETURN;
    END IF;
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
        UPDATE chat_members cm SET unread_count = cm.unread_count - 1
         WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
           AND cm.last_read_message_id < p_msg AND cm.unread_count > 0;
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

-- Move a read marker forward (never back).  p_msg NULL: the newest message.
-- status: 'ok' | 'unchanged' | 'not_member' | 'no_message'.
CREATE FUNCTION parley_mark_read(p_chat bigint, p_user bigint, p_msg bigint,
                                 OUT status text, OUT last_read bigint,
                                 OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cur    bigint;
    target bigint;
    s      bigint;
BEGIN
    SELECT cm.last_read_message_id INTO cur FROM chat_members cm
     WHERE cm.chat_id = p_chat AND cm.user_id = p_user FOR UPDATE;
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
           unread_count = parley_count_unread(p_chat, p_user, target)
     WHERE chat_id = p_chat AND user_id = p_user;
    INSERT INTO changes (seq, chat_id, kind, message_id, user_id)
    VALUES (s, p_chat, 'read', target, p_user);
    status := 'ok';
    last_read := target;
    seq := s;
END
$$;

-- Get or create the direct chat of two users.
-- status: 'exists' | 'created' | 'no_user'.
CREATE FUNCTION parley_direct_chat(p_user bigint, p_other bigint,
                                   OUT status text, OUT chat_id bigint,
                                   OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    k text := least(p_user, p_other) || ':' || greatest(p_user, p_other);
    s bigint;
BEGIN
    SELECT c.id INTO chat_id FROM chats c WHERE c.direct_key = k;
    IF FOUND THEN
        status := 'exists';
        RETURN;
    END IF;
    PERFORM 1 FROM users WHERE id = p_other;
    IF NOT FOUND THEN
        status := 'no_user';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    INSERT INTO chats (kind, direct_key, created_by) VALUES ('direct', k, p_user)
    ON CONFLICT (direct_key) DO NOTHING RETURNING id INTO chat_id;
    IF chat_id IS NULL THEN                -- created concurrently
        SELECT c.id INTO chat_id FROM chats c WHERE c.direct_key = k;
        status := 'exists';
        RETURN;
    END IF;
    INSERT INTO chat_members (chat_id, user_id) VALUES (chat_id, p_user), (chat_id, p_other);
    s := nextval('change_seq');
    INSERT INTO changes (seq, chat_id, kind, user_id) VALUES (s, chat_id, 'chat_created', p_user);
    status := 'created';
    seq := s;
END
$$;

-- Create a group chat of the creator and p_members.
-- status: 'created' | 'no_user' (some id unknown).
CREATE FUNCTION parley_group_chat(p_user bigint, p_title text, p_members bigint[],
                                  OUT status text, OUT chat_id bigint,
                                  OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    s   bigint;
BEGIN
    SELECT array_agg(DISTINCT x) INTO ids FROM unnest(p_members || p_user) AS x;
    IF (SELECT count(*) FROM users WHERE id = ANY (ids)) <> cardinality(ids) THEN
        status := 'no_user';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();
    INSERT INTO chats (kind, title, created_by) VALUES ('group', p_title, p_user)
    RETURNING id INTO chat_id;
    INSERT INTO chat_members (chat_id, user_id) SELECT chat_id, x FROM unnest(ids) AS x;
    s := nextval('change_seq');
    INSERT INTO changes (seq, chat_id, kind, user_id) VALUES (s, chat_id, 'chat_created', p_user);
    status := 'created';
    seq := s;
END
$$;

-- 005_uploads.sql -- uploaded files and per-chat mute.
--
-- Uploads: the bytes live on disk under the upload folder, named by their
-- SHA-256 (content-addressed: two uploads of the same bytes share one file);
-- this table holds who uploaded what under which name.  An upload starts
-- unclaimed (message_id NULL); sending a message with it in attachment_ids
-- claims it for that message (parley_claim_uploads).  Unclaimed uploads older
-- than an hour are deleted by parley_sweep_uploads, which the API workers
-- call opportunistically (docs/architecture.md, "Uploads").
--
-- Mute: one flag per chat member, changed through parley_set_mute, which
-- records a 'chat_muted' change so the user's other tabs catch up via
-- /api/sync like any other change.

CREATE TABLE uploads (
    id           bigserial PRIMARY KEY,
    owner_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    size         bigint NOT NULL CHECK (size >= 0),
    content_type text NOT NULL,
    width        integer,                  -- images only (PNG, JPEG, GIF, WebP)
    height       integer,
    message_id   bigint REFERENCES messages(id) ON DELETE CASCADE,
    position     smallint,                 -- order within the message
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_message ON uploads (message_id, position) WHERE message_id IS NOT NULL;
CREATE INDEX uploads_unclaimed ON uploads (created_at) WHERE message_id IS NULL;
CREATE INDEX uploads_sha256 ON uploads (sha256);

-- Claims p_ids (in that order) for message p_msg, sent by p_user.  Only the
-- sender's own uploads that are unclaimed -- or already claimed by this very
-- message, so a repeated send (same client_id) is harmless -- can be
-- claimed.  Returns the number claimed; the caller compares it with the
-- number asked for.  All or nothing: on a shortfall nothing is claimed.
CREATE FUNCTION parley_claim_uploads(p_msg bigint, p_user bigint, p_ids bigint[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN 0;
    END IF;
    UPDATE uploads u SET message_id = p_msg, position = x.pos
      FROM unnest(p_ids) WITH ORDINALITY AS x(id, pos)
     WHERE u.id = x.id AND u.owner_id = p_user
       AND (u.message_id IS NULL OR u.message_id = p_msg);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> cardinality(p_ids) THEN
        RAISE EXCEPTION 'uploads not claimable' USING ERRCODE = 'P0002';
    END IF;
    RETURN n;
END
$$;

-- Deletes at most p_limit unclaimed uploads older than p_age_secs and
-- returns the SHA-256 of each whose file no other upload still uses (the
-- caller removes those files, re-checking with parley_upload_in_use).
CREATE FUNCTION parley_sweep_uploads(p_age_secs integer, p_limit integer)
RETURNS SETOF text LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM uploads WHERE id IN (
            SELECT id FROM uploads
             WHERE message_id IS NULL
               AND created_at < now() - make_interval(secs => p_age_secs)
             ORDER BY created_at LIMIT p_limit
               FOR UPDATE SKIP LOCKED)
        RETURNING id, sha256)
    -- The rows just deleted are still visible to this statement's snapshot,
    -- hence "not one of gone".
    SELECT DISTINCT g.sha256 FROM gone g
     WHERE NOT EXISTS (SELECT 1 FROM uploads u
                        WHERE u.sha256 = g.sha256 AND u.id NOT IN (SELECT id FROM gone))
$$;

CREATE FUNCTION parley_upload_in_use(p_sha text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = p_sha)
$$;

ALTER TABLE chat_members ADD COLUMN muted boolean NOT NULL DEFAULT false;

-- Add 'chat_muted' to the kinds a change may have, keeping whatever kinds
-- earlier migrations allow (the constraint is rebuilt from its own text).
DO $$
DECLARE
    def text;
BEGIN
    SELECT pg_get_constraintdef(c.oid) INTO def FROM pg_constraint c
     WHERE c.conrelid = 'changes'::regclass AND c.conname = 'changes_kind_check';
    IF def IS NULL OR position('ARRAY[' IN def) = 0 THEN
        RAISE EXCEPTION 'changes_kind_check has an unexpected form: %', def;
    END IF;
    IF position('''chat_muted''' IN def) = 0 THEN
        EXECUTE 'ALTER TABLE changes DROP CONSTRAINT changes_kind_check';
        EXECUTE 'ALTER TABLE changes ADD CONSTRAINT changes_kind_check '
             || replace(def, 'ARRAY[', 'ARRAY[''chat_muted''::text, ');
    END IF;
END
$$;

-- Mute or unmute chat p_chat for p_user.
-- status: 'ok' | 'unchanged' | 'not_member'.
CREATE FUNCTION parley_set_mute(p_chat bigint, p_user bigint, p_muted boolean,
                                OUT status text, OUT seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cur boolean;
    s   bigint;
BEGIN
    SELECT cm.muted INTO cur FROM chat_members cm
     WHERE cm.chat_id = p_chat AND cm.user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_member';
        RETURN;
    END IF;
    IF cur = p_muted THEN
        status := 'unchanged';
        RETURN;
    END IF;
    PERFORM pg_current_xact_id();          -- xid before seq: see 001
    s := nextval('change_seq');
    UPDATE chat_members SET muted = p_muted WHERE chat_id = p_chat AND user_id = p_user;
    INSERT INTO changes (seq, chat_id, kind, user_id) VALUES (s, p_chat, 'chat_muted', p_user);
    status := 'ok';
    seq := s;
END
$$;

-- Presence.  Each open page (tab) reports itself while its WebSocket is up
-- (POST /api/presence, every 15 s and on changes); a report lives
-- p_ttl seconds.  A user is 'online' with any live active tab, 'away' with
-- live tabs that are all hidden or idle, else 'offline'.  Tabs may sit on
-- any number of ws-daemons: the reports meet here, in the database, so the
-- answer is the same whichever daemon or API worker is asked; a daemon that
-- dies stops its pages' reports (they only report while connected), so its
-- users go offline when their last report expires.
-- Changes are announced debounced: presence_users keeps what was last
-- announced and when; parley_presence_due returns users whose status now
-- differs, at most once per p_debounce seconds each.
CREATE TABLE presence_tabs (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tab_id     text NOT NULL CHECK (length(tab_id) BETWEEN 1 AND 64),
    active     boolean NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, tab_id)
);
CREATE INDEX presence_tabs_expiry ON presence_tabs (expires_at);

CREATE TABLE presence_users (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL,
    announced    text NOT NULL DEFAULT 'offline',
    announced_at timestamptz NOT NULL DEFAULT 'epoch',
    dirty        boolean NOT NULL DEFAULT false
);
CREATE INDEX presence_users_dirty ON presence_users (announced_at) WHERE dirty;

CREATE FUNCTION parley_presence_status(p_user bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN bool_or(t.active) THEN 'online'
                WHEN count(*) > 0 THEN 'away' ELSE 'offline' END
      FROM presence_tabs t WHERE t.user_id = p_user AND t.expires_at > now()
$$;

-- One report from one tab.  p_state: 'active' | 'away' | 'gone' (the tab
-- is closing).
CREATE FUNCTION parley_presence_beat(p_user bigint, p_tab text, p_state text, p_ttl integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    prev    boolean;
    changed boolean;
BEGIN
    IF p_state = 'gone' THEN
        DELETE FROM presence_tabs WHERE user_id = p_user AND tab_id = p_tab;
        changed := FOUND;
    ELSE
        -- A keepalive that changes nothing only moves the expiry: the
        -- user is not marked for parley_presence_due (most reports).
        SELECT t.active INTO prev FROM presence_tabs t
         WHERE t.user_id = p_user AND t.tab_id = p_tab AND t.expires_at > now();
        changed := prev IS NULL OR prev <> (p_state = 'active');
        INSERT INTO presence_tabs AS t (user_id, tab_id, active, expires_at)
        VALUES (p_user, p_tab, p_state = 'active', now() + make_interval(secs => p_ttl))
        ON CONFLICT (user_id, tab_id) DO UPDATE
           SET active = excluded.active, expires_at = excluded.expires_at;
    END IF;
    INSERT INTO presence_users AS p (user_id, last_seen_at, dirty) VALUES (p_user, now(), changed)
    ON CONFLICT (user_id) DO UPDATE SET last_seen_at = now(), dirty = p.dirty OR excluded.dirty;
END
$$;

-- Drops expired reports, then returns (and records as announced) at most
-- p_limit users whose status differs from what was last announced and
-- whose last announcement is older than p_debounce seconds.  A change held
-- back by the debounce stays dirty and comes out of a later call.
CREATE FUNCTION parley_presence_due(p_debounce integer, p_limit integer,
                                    OUT user_id bigint, OUT status text,
                                    OUT last_seen_at text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    r record;
    s text;
BEGIN
    WITH gone AS (DELETE FROM presence_tabs t WHERE t.expires_at <= now() RETURNING t.user_id)
    UPDATE presence_users p SET dirty = true WHERE p.user_id IN (SELECT g.user_id FROM gone g);
    FOR r IN SELECT p.user_id, p.announced, p.last_seen_at FROM presence_users p
              WHERE p.dirty AND p.announced_at < now() - make_interval(secs => p_debounce)
              ORDER BY p.announced_at LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
        s := parley_presence_status(r.user_id);
        IF s <> r.announced THEN
            UPDATE presence_users p SET announced = s, announced_at = now(), dirty = false
             WHERE p.user_id = r.user_id;
            user_id := r.user_id;
            status := s;
            last_seen_at := parley_ts(r.last_seen_at);
            RETURN NEXT;
        ELSE
            UPDATE presence_users p SET dirty = false WHERE p.user_id = r.user_id;
        END IF;
    END LOOP;
END
$$;

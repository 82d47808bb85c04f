-- 004_sessions.sql -- server-side sessions, admins and deactivation, and the
-- abuse limits that protect without locking anyone out.
--
-- * Every access token names a row of `sessions` (claim "sid").  Ending a
--   session sets ended_at; the API checks the row on every request with one
--   primary-key lookup (parley_session_check), which also refreshes
--   last_used_at at most once a minute so reads stay reads.
-- * Tokens issued before sessions existed carry no sid.  They stay valid
--   until they expire unless the user's sessions_reset_at is later than
--   their iat (logout-all, password change, reset and deactivation set it).
-- * Failed logins are counted per (username, address) with a delay that
--   doubles after a few free failures, plus a ceiling per address.  Nothing
--   is counted per username alone, so failures from other addresses never
--   stop the real user logging in from their own.
-- * Other rates (sign-ups per address, chats created per user, typing per
--   user and chat) are token buckets in `rate_buckets`, one row per key.

ALTER TABLE users
    ADD COLUMN is_admin          boolean NOT NULL DEFAULT false,
    ADD COLUMN deactivated_at    timestamptz,
    ADD COLUMN sessions_reset_at timestamptz NOT NULL DEFAULT 'epoch';

UPDATE users SET is_admin = true WHERE lower(username) = 'admin';

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    user_agent   text NOT NULL DEFAULT '',
    ended_at     timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE ended_at IS NULL;

-- Opens a session; returns its id.
CREATE FUNCTION parley_session_open(p_user bigint, p_ttl int, p_agent text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO sessions (user_id, expires_at, user_agent)
    VALUES (p_user, now() + make_interval(secs => p_ttl), left(coalesce(p_agent, ''), 200))
    RETURNING id
$$;

-- The per-request check.  0: refuse the token; 1: valid; 2: valid and the
-- user is an admin.  p_sid NULL is a token from before sessions.
CREATE FUNCTION parley_session_check(p_sid bigint, p_user bigint, p_iat bigint)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    used timestamptz;
    admin boolean;
BEGIN
    IF p_sid IS NULL THEN
        SELECT u.is_admin INTO admin FROM users u
         WHERE u.id = p_user AND u.deactivated_at IS NULL
           AND u.sessions_reset_at <= to_timestamp(p_iat);
        IF NOT FOUND THEN
            RETURN 0;
        END IF;
        RETURN CASE WHEN admin THEN 2 ELSE 1 END;
    END IF;
    SELECT s.last_used_at, u.is_admin INTO used, admin
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = p_sid AND s.user_id = p_user AND s.ended_at IS NULL
       AND s.expires_at > now() AND u.deactivated_at IS NULL;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF used < now() - interval '60 seconds' THEN
        UPDATE sessions SET last_used_at = now() WHERE id = p_sid;
    END IF;
    RETURN CASE WHEN admin THEN 2 ELSE 1 END;
END $$;

-- Ends one of the user's sessions; true if it was open.
CREATE FUNCTION parley_session_end(p_user bigint, p_sid bigint) RETURNS boolean
LANGUAGE sql AS $$
    WITH e AS (UPDATE sessions SET ended_at = now()
                WHERE id = p_sid AND user_id = p_user AND ended_at IS NULL
               RETURNING 1)
    SELECT count(*) > 0 FROM e
$$;

-- Ends every open session of the user except p_keep (NULL: all), and
-- every pre-session token.
CREATE FUNCTION parley_session_end_all(p_user bigint, p_keep bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE users SET sessions_reset_at = now() WHERE id = p_user;
    UPDATE sessions SET ended_at = now()
     WHERE user_id = p_user AND ended_at IS NULL
       AND (p_keep IS NULL OR id <> p_keep);
$$;

CREATE TABLE login_throttle (
    key       text PRIMARY KEY,    -- 'ua:<lower name> <address>' or 'a:<address>'
    failures  integer NOT NULL,
    first_at  timestamptz NOT NULL,
    last_at   timestamptz NOT NULL
);

-- Seconds to wait before this (username, address) may try again; 0: go.
-- The pair waits 2^(failures - p_free) s (at most p_max_delay) after its
-- last failure once it has more than p_free; the address waits until its
-- window ends once it reached p_addr_max failures in it.
CREATE FUNCTION parley_login_throttle(p_user text, p_addr text, p_free int,
                                      p_max_delay int, p_addr_max int, p_window int)
RETURNS int LANGUAGE sql STABLE AS $$
    SELECT greatest(0, coalesce(max(ceil(extract(epoch FROM w - now()))::int), 0))
      FROM (SELECT CASE WHEN t.key LIKE 'a:%' THEN
                        CASE WHEN t.failures >= p_addr_max
                             THEN t.first_at + make_interval(secs => p_window) END
                   ELSE
                        CASE WHEN t.failures > p_free
                             THEN t.last_at + make_interval(secs =>
                                  least(p_max_delay, power(2, least(t.failures - p_free, 30))))
                        END
                   END AS w
              FROM login_throttle t
             WHERE t.key IN ('ua:' || lower(p_user) || ' ' || p_addr, 'a:' || p_addr)) x
     WHERE w IS NOT NULL
$$;

-- Counts one failure for the pair and the address.  A pair's count lapses
-- after p_window s without failures; the address's window is fixed.
CREATE FUNCTION parley_login_failure(p_user text, p_addr text, p_window int)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO login_throttle AS t (key, failures, first_at, last_at)
    VALUES ('ua:' || lower(p_user) || ' ' || p_addr, 1, now(), now()),
           ('a:' || p_addr, 1, now(), now())
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN (t.key LIKE 'a:%' AND t.first_at + make_interval(secs => p_window) > now())
                          OR (t.key LIKE 'ua:%' AND t.last_at + make_interval(secs => p_window) > now())
                        THEN t.failures + 1 ELSE 1 END,
        first_at = CASE WHEN t.key LIKE 'a:%' AND t.first_at + make_interval(secs => p_window) <= now()
                        THEN now() ELSE t.first_at END,
        last_at = now()
$$;

-- A successful login clears the pair's count (not the address's).
CREATE FUNCTION parley_login_success(p_user text, p_addr text) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM login_throttle WHERE key = 'ua:' || lower(p_user) || ' ' || p_addr
$$;

CREATE TABLE rate_buckets (
    key    text PRIMARY KEY,       -- 'register:<addr>', 'chat:<user>', 'typing:<user>:<chat>'
    tokens double precision NOT NULL,
    at     timestamptz NOT NULL
);

-- Takes one token from the bucket `key` (refilled at p_rate per second up
-- to p_burst).  Returns 0 when taken, else the seconds until one is there.
CREATE FUNCTION parley_rate_take(p_key text, p_rate double precision, p_burst int)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    have double precision;
BEGIN
    INSERT INTO rate_buckets AS b (key, tokens, at) VALUES (p_key, p_burst, now())
    ON CONFLICT (key) DO UPDATE
        SET tokens = least(p_burst::double precision,
                           b.tokens + extract(epoch FROM now() - b.at) * p_rate),
            at = now()
    RETURNING tokens INTO have;
    -- Buckets untouched for a day are full again and carry no information:
    -- drop them now and then so the table stays small.
    IF random() < 0.001 THEN
        DELETE FROM rate_buckets WHERE at < now() - interval '1 day';
    END IF;
    IF have >= 1 THEN
        UPDATE rate_buckets SET tokens = have - 1 WHERE key = p_key;
        RETURN 0;
    END IF;
    RETURN greatest(1, ceil((1 - have) / p_rate)::int);
END $$;

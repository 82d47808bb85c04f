-- 002_limits.sql -- abuse limits shared by every API worker.
--
-- Workers are separate processes, so counters live in the database: failed
-- logins per username and per client address, in a fixed window.  (The
-- per-user sending limit is a token bucket on the users row, checked inside
-- parley_post_message: see 001_schema.sql.)

CREATE TABLE login_failures (
    key          text PRIMARY KEY,      -- 'u:<lower username>' or 'a:<address>'
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL
);

-- Seconds the caller must wait before another login attempt (0: go ahead).
CREATE FUNCTION parley_login_wait(p_user text, p_addr text, p_user_max int,
                                  p_addr_max int, p_window int) RETURNS int
LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(ceil(extract(epoch FROM
               f.window_start + make_interval(secs => p_window) - now()))::int), 0)
      FROM login_failures f
     WHERE f.window_start + make_interval(secs => p_window) > now()
       AND ((f.key = 'u:' || lower(p_user) AND f.failures >= p_user_max)
         OR (f.key = 'a:' || p_addr AND f.failures >= p_addr_max))
$$;

-- Records a failed attempt against both keys; a window restarts once over.
CREATE FUNCTION parley_login_failed(p_user text, p_addr text, p_window int)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO login_failures AS f (key, failures, window_start)
    VALUES ('u:' || lower(p_user), 1, now()), ('a:' || p_addr, 1, now())
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN f.window_start + make_interval(secs => p_window) > now()
                        THEN f.failures + 1 ELSE 1 END,
        window_start = CASE WHEN f.window_start + make_interval(secs => p_window) > now()
                            THEN f.window_start ELSE now() END
$$;

-- A successful login clears the username's count (not the address's).
CREATE FUNCTION parley_login_ok(p_user text) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM login_failures WHERE key = 'u:' || lower(p_user)
$$;

-- 015_session_guard.sql -- the session check as a guard that raises.
--
-- The API used to check the session (parley_session_check) in a round trip
-- and a transaction of its own before each request's statement.  The hot
-- routes now send the check and their statement in one pipeline
-- (fcgi-api/db.c, db_guard): both run in one implicit transaction, and
-- when this function raises, the statement after it is skipped and
-- nothing is written.  SQLSTATE PS401 is the refusal the API answers with
-- 401 session_ended (fcgi-api/db.h, DB_GUARD_REFUSED); any other error is
-- a database failure.
CREATE FUNCTION parley_session_require(p_sid bigint, p_user bigint, p_iat bigint)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    v int := parley_session_check(p_sid, p_user, p_iat);
BEGIN
    IF v = 0 THEN
        RAISE EXCEPTION 'session ended' USING ERRCODE = 'PS401';
    END IF;
    RETURN v;
END $$;

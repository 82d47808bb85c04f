-- 007_search_presence.sql -- a cheaper search plan.
--
-- parley_search (first in 003_features.sql) walked the caller's newest
-- 5000 messages through the primary key, probing chat_members for every
-- row of every chat, and only then asked the GIN index; a rare word paid
-- the whole walk (~23,000 rows for a user in a fifth of the chats) before
-- the index answered in well under a millisecond.  Now:
-- * the caller's chats are read once into an array (chat_id = ANY (...),
--   which PostgreSQL hashes), not joined row by row;
-- * a rare word (the planner's estimate of its matches is small) goes
--   straight to the GIN index;
-- * a common word walks a fixed window of the newest messages of the
--   server, testing the words only on the caller's rows, and stops at the
--   page; only if the window held too few does the GIN index give the
--   older matches.  (The GIN index first for every word costs in
--   proportion to the word's whole posting list: 90+ ms for a common
--   prefix such as "работать:*" over 300,000 messages.)
-- * ts_headline (three passes, the dearest part per row) runs only on the
--   page returned, not on the extra row that only tells has_more.
-- p_limit is the page size plus one (the caller's has_more probe).
CREATE OR REPLACE FUNCTION parley_search(p_user bigint, p_words text[], p_chat bigint,
                                         p_before bigint, p_limit int)
RETURNS TABLE (id bigint, chat_id bigint, sender_id bigint, sender_username text,
               content text, created_at text, edited_at text, deleted boolean,
               client_id text, seq bigint, mentions text, reply_to text,
               reactions text, system text, marked text)
-- VOLATILE only because EXPLAIN (below) is refused in a STABLE function;
-- it writes nothing.
LANGUAGE plpgsql VOLATILE
-- A sequential scan is never the way to a page of matches in a big table,
-- but the planner's guess for a prefix word (1.5 % of the rows, whatever
-- the word) can make it look so under a LIMIT.
SET enable_seqscan = off AS $$
DECLARE
    search_window constant bigint := 20000;
    search_rare   constant float8 := 0.02;
    plan  json;
    q     tsquery := parley_search_query(p_words);
    opt   text := format('HighlightAll=true,StartSel=%s,StopSel=%s', chr(2), chr(3));
    mine  bigint[];
    hi    bigint;
    ids   bigint[];
    older bigint[];
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    IF p_chat = 0 THEN
        SELECT array_agg(cm.chat_id) INTO mine FROM chat_members cm WHERE cm.user_id = p_user;
    ELSE
        mine := ARRAY[p_chat];
    END IF;
    SELECT max(m.id) INTO hi FROM messages m WHERE m.id < p_before;
    IF mine IS NULL OR hi IS NULL THEN
        RETURN;
    END IF;
    -- EXECUTE: planned with the actual words and chats every time (a
    -- cached generic plan cannot tell a rare word from a common one).
    -- Rare words: the planner's own estimate of the matches (from the
    -- column's statistics; a word they do not list gets a small default)
    -- says the GIN index alone is cheap: every match, newest first.
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.tsv @@ $1'
        INTO plan USING q;
    IF (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8 <= search_rare * greatest(
           (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'messages'::regclass), 0) THEN
        EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                '  SELECT m.id FROM messages m'
                '   WHERE m.tsv @@ $1 AND m.id + 0 <= $2 AND m.chat_id + 0 = ANY ($3)'
                '   ORDER BY m.id + 0 DESC LIMIT $4) w'
            INTO ids USING q, hi, mine, p_limit;
    ELSE
        -- Common words: walk the newest search_window messages of the
        -- server newest first (primary key), keep the caller's (hashed
        -- array), test the words only on those (OFFSET 0 keeps the two
        -- filters in that order), stop at p_limit: they end within a few
        -- hundred rows, and no word costs more than the window.
        EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                '  SELECT r.id FROM (SELECT m.id, m.tsv FROM messages m'
                '                     WHERE m.id <= $2 AND m.id > $2 - $3 AND m.chat_id = ANY ($4)'
                '                     ORDER BY m.id DESC OFFSET 0) r'
                '   WHERE r.tsv @@ $1 ORDER BY r.id DESC LIMIT $5) w'
            INTO ids USING q, hi, search_window, mine, p_limit;
        IF coalesce(cardinality(ids), 0) < p_limit THEN
            -- Too few lately: the older matches from the GIN index, sorted
            -- (id + 0, chat_id + 0: neither a newest-first walk of the
            -- primary key nor a bitmap of every message of the caller's).
            EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                    '  SELECT m.id FROM messages m'
                    '   WHERE m.tsv @@ $1 AND m.id + 0 <= $2 - $3 AND m.chat_id + 0 = ANY ($4)'
                    '   ORDER BY m.id + 0 DESC LIMIT $5) w'
                INTO older USING q, hi, search_window, mine,
                                 p_limit - coalesce(cardinality(ids), 0);
            ids := coalesce(ids, '{}') || coalesce(older, '{}');
        END IF;
    END IF;
    RETURN QUERY
        SELECT mv.*, CASE WHEN x.n <= p_limit - 1 OR p_limit = 1 THEN
                   ts_headline('english', ts_headline('russian', ts_headline('simple',
                       translate(mv.content, chr(2) || chr(3), '  '), q, opt), q, opt), q, opt)
               END
          FROM unnest(ids) WITH ORDINALITY AS x(id, n)
          JOIN message_v mv ON mv.id = x.id
         ORDER BY x.n;
END
$$;

-- Presence.  Measured at 10,000 users with 100 changes a second (plus the
-- keepalive of every online tab, ~330 a second), a report took 3.5-5 ms
-- of which ~3 ms was waiting for the commit's WAL flush, and each change
-- cost two more round trips (the due sweep, then one peers query per
-- changed user).
-- * The two tables hold only what the open tabs keep reporting every 15 s,
--   so they are UNLOGGED: no WAL, no flush to wait for.  A crash of
--   PostgreSQL empties them; the pages' next reports (within 15 s) fill
--   them again and announce everyone who is still there.
ALTER TABLE presence_tabs SET UNLOGGED;
ALTER TABLE presence_users SET UNLOGGED;

-- * One round trip per report: the report itself, then every change that
--   is due (parley_presence_due: expired tabs, debounce), each with the
--   users who share a chat with that user (who get the event).
CREATE FUNCTION parley_presence_report(p_user bigint, p_tab text, p_state text, p_ttl integer,
                                       p_debounce integer, p_limit integer)
RETURNS TABLE (user_id bigint, status text, last_seen_at text, peers bigint[])
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM parley_presence_beat(p_user, p_tab, p_state, p_ttl);
    RETURN QUERY
        SELECT d.user_id, d.status, d.last_seen_at,
               ARRAY(SELECT DISTINCT o.user_id
                       FROM chat_members m JOIN chat_members o ON o.chat_id = m.chat_id
                      WHERE m.user_id = d.user_id AND o.user_id <> d.user_id)
          FROM parley_presence_due(p_debounce, p_limit) d;
END
$$;

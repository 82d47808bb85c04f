-- 016_search_slots.sql -- at most parley.search_slots searches run at once.
--
-- A search is ~2.5 ms of PostgreSQL CPU (docs/bench.md, step 9).  With four
-- API workers on two cores, 16 searches in flight ran four at a time, each
-- at half speed and preempted by the others: p99 58-85 ms at 16 in flight
-- against a p50 of ~22 ms.  Each search now first takes one of N slots (a
-- transaction-level advisory lock; nothing is written), N being the
-- session's parley.search_slots, which the API sets on every connection
-- from its search_slots setting (default: the processors of its host;
-- docs/config.md).  The others wait their turn in the lock queue, holding
-- their API worker as they would have held it running.  Same run, same
-- database, wrk at 16 connections: p99 48.9-52.0 ms with 2 slots, against
-- 84.6 ms without, at the same rate (docs/bench.md).  Unset or 0: no limit.
-- A wait counts toward statement_timeout: a backlog longer than that
-- answers an error rather than queueing without end.
-- Lock space: the two-key form (7151, slot); Parley takes no other
-- advisory lock.

CREATE FUNCTION parley_search_slot() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(nullif(current_setting('parley.search_slots', true), '')::int, 0);
BEGIN
    IF n <= 0 THEN
        RETURN;
    END IF;
    FOR i IN 0 .. n - 1 LOOP
        IF pg_try_advisory_xact_lock(7151, i) THEN
            RETURN;
        END IF;
    END LOOP;
    -- All taken: queue on one of them.
    PERFORM pg_advisory_xact_lock(7151, (random() * (n - 1))::int);
END
$$;

-- parley_search as in 013_search_cost.sql, taking a slot first.
CREATE OR REPLACE FUNCTION parley_search(p_user bigint, p_words text[], p_chat bigint,
                                         p_before bigint, p_limit int)
RETURNS TABLE (id bigint, chat_id bigint, sender_id bigint, sender_username text,
               content text, created_at text, edited_at text, deleted boolean,
               client_id text, seq bigint, mentions text, reply_to text,
               reactions text, system text, marked text)
LANGUAGE plpgsql VOLATILE
-- A sequential scan is never the way to a page of matches in a big table,
-- but the planner's guess for a prefix word (1.5 % of the rows, whatever
-- the word) can make it look so under a LIMIT.
SET enable_seqscan = off AS $$
DECLARE
    search_window constant bigint := 20000;
    q     tsquery := parley_search_query(p_words);
    opt   text := format('HighlightAll=true,StartSel=%s,StopSel=%s', chr(2), chr(3));
    -- An ASCII letter next to a non-ASCII character (or across a hyphen):
    -- the only text in which 'english' can mark a word (below).
    mixed constant text := '[A-Za-z][^\u0001-\u007F]|[^\u0001-\u007F][A-Za-z]'
                           '|[A-Za-z]-[^\u0001-\u007F]|[^\u0001-\u007F]-[A-Za-z]';
    mine  bigint[];
    hi    bigint;
    ids   bigint[];
    older bigint[];
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    -- One of parley.search_slots at a time (above).
    PERFORM parley_search_slot();
    IF p_chat = 0 THEN
        SELECT array_agg(cm.chat_id) INTO mine FROM chat_members cm WHERE cm.user_id = p_user;
    ELSE
        mine := ARRAY[p_chat];
    END IF;
    SELECT max(m.id) INTO hi FROM messages m WHERE m.id < p_before;
    IF mine IS NULL OR hi IS NULL THEN
        RETURN;
    END IF;
    IF parley_search_rare(q) THEN
        -- Rare words: every match from the GIN index, newest first.
        EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                '  SELECT m.id FROM messages m'
                '   WHERE m.tsv @@ $1 AND m.id + 0 <= $2 AND m.chat_id + 0 = ANY ($3)'
                '   ORDER BY m.id + 0 DESC LIMIT $4) w'
            INTO ids USING q, hi, mine, p_limit;
    ELSE
        -- Common words: walk the newest search_window messages of the
        -- server newest first (primary key), keep the caller's (hashed
        -- array), test the words only on those (OFFSET 0 keeps the two
        -- filters in that order), stop at p_limit.  chat_id + 0: the plan
        -- is fixed by the statement's shape, and an expression has no
        -- statistics to read for each of the caller's chat ids.
        EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                '  SELECT r.id FROM (SELECT m.id, m.tsv FROM messages m'
                '                     WHERE m.id <= $2 AND m.id > $2 - $3 AND m.chat_id + 0 = ANY ($4)'
                '                     ORDER BY m.id DESC OFFSET 0) r'
                '   WHERE r.tsv @@ $1 ORDER BY r.id DESC LIMIT $5) w'
            INTO ids USING q, hi, search_window, mine, p_limit;
        IF coalesce(cardinality(ids), 0) < p_limit THEN
            -- Too few lately: the older matches from the GIN index, sorted.
            EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                    '  SELECT m.id FROM messages m'
                    '   WHERE m.tsv @@ $1 AND m.id + 0 <= $2 - $3 AND m.chat_id + 0 = ANY ($4)'
                    '   ORDER BY m.id + 0 DESC LIMIT $5) w'
                INTO older USING q, hi, search_window, mine,
                                 p_limit - coalesce(cardinality(ids), 0);
            ids := coalesce(ids, '{}') || coalesce(older, '{}');
        END IF;
    END IF;
    -- The 'english' headline pass only where it can mark a word the other
    -- two did not (see above); h.t is NULL for the has_more row.
    RETURN QUERY
        SELECT mv.*, CASE WHEN mv.content ~ mixed THEN ts_headline('english', h.t, q, opt)
                          ELSE h.t END
          FROM unnest(ids) WITH ORDINALITY AS x(id, n)
          JOIN message_v mv ON mv.id = x.id
          CROSS JOIN LATERAL (SELECT CASE WHEN x.n <= p_limit - 1 OR p_limit = 1 THEN
                   ts_headline('russian', ts_headline('simple',
                       translate(mv.content, chr(2) || chr(3), '  '), q, opt), q, opt)
               END AS t) h
         ORDER BY x.n;
END
$$;

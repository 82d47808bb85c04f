-- 013_search_cost.sql -- search: a third of the database's work per
-- search gone, and at most parley.search_slots searches at once.
--
-- Counted with callgrind over step 9's twelve queries (1,020,000 messages,
-- the searcher in 200 of 1,000 chats; one single-user backend, instructions
-- per search, deterministic to 0.01 %; docs/bench.md): 12.71 M before,
-- 8.86 M after.
-- * parley_word_query OR-ed each word's 'simple', 'russian' and 'english'
--   forms even where two are the same: a Cyrillic word's 'english' form is
--   its 'simple' one, an ASCII word's 'russian' form is its 'english' one.
--   Every message the walk tests matched each duplicate again.  Now each
--   distinct form appears once (12.21 M -> 11.50 M).
-- * The window walk's `chat_id = ANY (<the caller's chats>)` made the
--   planner estimate each of the ~200 chat ids from chat_id's statistics
--   (scalararraysel: 6.3 % of a search).  `chat_id + 0` has no statistics;
--   the plan is fixed by the statement's shape (OFFSET 0, ORDER BY id DESC)
--   and the array is still hashed (12.71 M -> 12.21 M).  A static
--   statement with the membership as a hashed subplan (no planning at all)
--   was tried: +0.6 %, the subplan costs more per row than the array.
-- * The matched words of each hit were marked by two or three ts_headline
--   passes (23 % of a search: each pass parses the whole message again and
--   runs every word through the configuration's dictionaries).  The API
--   now marks them itself (fcgi-api/highlight.c, with the same Snowball
--   stemmers), so each row returns the query (q::text) instead of marked
--   text: the result type changes, hence DROP and CREATE (11.50 M ->
--   8.86 M).
-- * parley_search_slot: at 16 searches in flight through four API workers
--   on two cores, four ran at once, each preempted by the others (p99 58-85
--   ms against a p50 of ~22 ms).  A search now first takes one of N slots
--   (a transaction-level advisory lock; nothing is written), N being the
--   session's parley.search_slots, which the API sets on every connection
--   from its search_slots setting (default: its host's processors;
--   docs/config.md); the others wait their turn in the lock queue, holding
--   their API worker as they would have held it running.  Same database,
--   wrk at 16 connections: p99 84.6 ms without, 48.0 and 46.4 ms with 2
--   slots.  Unset or 0: no limit.  A wait counts toward statement_timeout:
--   a backlog longer than that is answered 503 busy rather than queued
--   without end.  Lock space: the two-key form (7151, slot); Parley takes
--   no other advisory lock.

CREATE OR REPLACE FUNCTION parley_word_query(w text, prefix boolean) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    t text := w || CASE WHEN prefix THEN ':*' ELSE '' END;
    s tsquery := to_tsquery('simple'::regconfig, t);
    r tsquery := to_tsquery('russian'::regconfig, t);
    e tsquery := to_tsquery('english'::regconfig, t);
    q tsquery := s;
BEGIN
    -- 'russian' drops its stop words (an empty query), 'simple' none.
    IF r <> s THEN
        q := q || r;
    END IF;
    IF e <> s AND e <> r THEN
        q := q || e;
    END IF;
    RETURN q;
END
$$;

-- Takes one of parley.search_slots for this transaction (above).
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
    PERFORM pg_advisory_xact_lock(7151, floor(random() * n)::int);
END
$$;

-- parley_search as in 012_search_headline.sql, with the walk's chat test
-- as chat_id + 0, a slot taken first, and the query returned with the hits
-- instead of marked text (all above).
DROP FUNCTION parley_search(bigint, text[], bigint, bigint, int);

CREATE FUNCTION parley_search(p_user bigint, p_words text[], p_chat bigint,
                                         p_before bigint, p_limit int)
RETURNS TABLE (id bigint, chat_id bigint, sender_id bigint, sender_username text,
               content text, created_at text, edited_at text, deleted boolean,
               client_id text, seq bigint, mentions text, reply_to text,
               reactions text, system text, query text)
LANGUAGE plpgsql VOLATILE
-- A sequential scan is never the way to a page of matches in a big table,
-- but the planner's guess for a prefix word (1.5 % of the rows, whatever
-- the word) can make it look so under a LIMIT.
SET enable_seqscan = off AS $$
DECLARE
    search_window constant bigint := 20000;
    q     tsquery := parley_search_query(p_words);
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
    -- Every row carries the query; the API marks the words it matched
    -- (fcgi-api/highlight.c).
    RETURN QUERY
        SELECT mv.*, q::text
          FROM unnest(ids) WITH ORDINALITY AS x(id, n)
          JOIN message_v mv ON mv.id = x.id
         ORDER BY x.n;
END
$$;

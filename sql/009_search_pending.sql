-- 009_search_pending.sql -- search: a bounded GIN pending list, and the
-- choice between the GIN index and the window walk as a function of its own.
--
-- messages_tsv is a GIN index with fastupdate (PostgreSQL's default): a new
-- message's entries go to the index's pending list, and every search that
-- asks the index (a rare word; a common one's older matches) reads the
-- whole list, unsorted, besides the index proper.  The list is merged when
-- it outgrows gin_pending_list_limit (default 4 MB, ~30,000 messages of
-- chat-sized text) or when a vacuum runs, and autovacuum comes for inserts
-- only after a fifth of the table has been added.  Measured over 1,000,000
-- messages: 20,000 pending messages (321 pages) made a rare-word search
-- 5-10 ms slower; after gin_clean_pending_list it was back to ~3.5 ms.
-- At 256 kB the list holds ~2,000 messages at most; the post that
-- overflows it merges those (a smaller merge, more often).
ALTER INDEX messages_tsv SET (gin_pending_list_limit = 256);

-- Whether the GIN index alone is the cheap way to a search's matches: the
-- planner's estimate of the rows matching q (from the column's statistics;
-- a word they do not list gets a small default) is at most 2 % of the
-- table.  EXPLAIN with the actual query, every time: a cached generic plan
-- cannot tell a rare word from a common one.  tests/integration/
-- search-plans.test.js asserts which way each of its words goes.
-- VOLATILE only because EXPLAIN is refused in a STABLE function.
CREATE FUNCTION parley_search_rare(q tsquery) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    search_rare constant float8 := 0.02;
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.tsv @@ $1'
        INTO plan USING q;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8 <= search_rare * greatest(
        (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'messages'::regclass), 0);
END
$$;

-- parley_search as in 007_search_presence.sql (the plan is described
-- there), with the choice above in its own function.
-- p_limit is the page size plus one (the caller's has_more probe).
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
        -- filters in that order), stop at p_limit.
        EXECUTE 'SELECT array_agg(w.id ORDER BY w.id DESC) FROM ('
                '  SELECT r.id FROM (SELECT m.id, m.tsv FROM messages m'
                '                     WHERE m.id <= $2 AND m.id > $2 - $3 AND m.chat_id = ANY ($4)'
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

-- 017_search_highlight.sql -- search: the API marks the matched words.
--
-- parley_search ran two ts_headline passes per hit ('simple', then
-- 'russian'; a third, 'english', where an ASCII letter touches a non-ASCII
-- one), 23 % of a search's database instructions (callgrind, step 9's
-- twelve queries: 11.50 M per search with them, 8.81 M without).  Each
-- pass parses the whole message again and runs every word through the
-- configuration's dictionaries.  The API now marks the words itself
-- (fcgi-api/highlight.c): a word matches when its lower-cased form, its
-- English stem or (non-ASCII) its Russian stem is a term of the query or
-- starts with a prefix term -- the forms messages.tsv holds, from the same
-- Snowball stemmers (libstemmer; docs/bench.md compares them word by
-- word).  So each row now returns the query (q::text) instead of marked
-- text, and the function's result type changes: drop, create.
-- Otherwise as in 016_search_slots.sql.

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
    -- One of parley.search_slots at a time (016_search_slots.sql).
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

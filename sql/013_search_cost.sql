-- 013_search_cost.sql -- search: a query without repeated alternatives,
-- and a plan that does not read chat_id's statistics once per chat.
--
-- Counted with callgrind over step 9's twelve queries (1,020,000 messages,
-- the searcher in 200 of 1,000 chats; one single-user backend, instructions
-- per search, deterministic to 0.01 %): 12.71 M before, 11.50 M after
-- (-9.5 %).  Same ids and marked text for all twelve queries.
-- * parley_word_query OR-ed each word's 'simple', 'russian' and 'english'
--   forms even where two are the same: a Cyrillic word's 'english' form is
--   its 'simple' one, an ASCII word's 'russian' form is its 'english' one.
--   Every message the walk tests and every headline pass matched each
--   duplicate again.  Now each distinct form appears once (-5.6 %).
-- * The window walk's `chat_id = ANY (<the caller's chats>)` made the
--   planner estimate each of the ~200 chat ids from chat_id's statistics
--   (scalararraysel: 6.3 % of a search).  `chat_id + 0` has no statistics;
--   the plan is fixed by the statement's shape (OFFSET 0, ORDER BY id DESC)
--   and the array is still hashed (-3.9 %).
-- A static statement with the membership as a hashed subplan (no planning
-- at all) was tried: +0.6 %, the subplan costs more per row than the
-- hashed array.

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

-- parley_search as in 012_search_headline.sql, the walk's chat test
-- written chat_id + 0 (above).
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

-- 012_search_headline.sql -- search: two ts_headline passes instead of three
-- for nearly every hit.
--
-- parley_search (009_search_pending.sql) marked the matches of a page's
-- hits with three ts_headline passes, one per configuration the words are
-- indexed with ('simple', 'russian', 'english'), and they were ~14 % of a
-- search's PostgreSQL CPU.  The 'russian' and 'english' configurations
-- differ only for words with non-ASCII letters (types word, hword,
-- hword_part): 'russian' stems them with russian_stem, 'english' with
-- english_stem.  ASCII words go to english_stem in both.  english_stem
-- changes a word only by rules on ASCII letters (suffixes, y, apostrophes),
-- so on a word with no ASCII letter (Cyrillic, Greek, CJK, ...) it gives the
-- lower-cased word, which is what the 'simple' pass already marks.  The
-- 'english' pass can therefore mark something new only in a word that mixes
-- ASCII letters with other characters ("naïves" -> naïv, "façades"); it
-- now runs only for messages where an ASCII letter touches a non-ASCII
-- character (or a hyphen joins them), which errs on the side of running it.
-- The plan (how the ids are found) is unchanged from 009.

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

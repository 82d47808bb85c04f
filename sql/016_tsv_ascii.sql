-- 016_tsv_ascii.sql -- two text-search passes instead of three for a post
-- that is plain ASCII.
--
-- The 'russian' configuration sends every token type an ASCII-only text
-- can yield (asciiword, asciihword, hword_asciipart) to english_stem, and
-- the rest (numbers, e-mail, URL, host, file, version parts) to simple,
-- exactly as 'english' does: on ASCII text its lexemes are 'english''s, so
-- that pass only repeats work.  callgrind of a single-user backend, 128
-- plain posts into direct chats: 1.54 M -> 1.47 M instructions a post
-- (-4.8 %; docs/bench.md, "Issue 13 on a faster machine, and where a plain
-- post's database work goes").
--
-- The lexemes, and so every search's matches, are those of the three
-- passes (tests/integration/search.test.js compares both for ASCII texts
-- of every token type).  Only the word positions of the English lexemes
-- differ, and no query here uses positions (no phrase operators, no
-- ranking): rows stored before this keep their vectors and are found
-- alike.  Text with any other byte takes the three passes as before.
CREATE OR REPLACE FUNCTION parley_tsv(c text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    -- One byte per character in UTF-8 means ASCII only.
    IF octet_length(c) = length(c) THEN
        RETURN to_tsvector('simple'::regconfig, c) ||
               to_tsvector('english'::regconfig, c);
    END IF;
    RETURN to_tsvector('simple'::regconfig, coalesce(c, '')) ||
           to_tsvector('russian'::regconfig, coalesce(c, '')) ||
           to_tsvector('english'::regconfig, coalesce(c, ''));
END
$$;

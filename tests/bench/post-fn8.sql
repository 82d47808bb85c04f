-- post-fn8.sql -- pgbench: post-fn.sql's call eight times in one
-- transaction, into one chat (one chat and one sender per transaction, so
-- clients queue on each other's locks but cannot deadlock).  Against
-- post-fn.sql it shows what a commit and a transaction cost a post, i.e.
-- what grouping posts into transactions (group commit in the API) could
-- gain without rewriting the function.  run.sh reports calls/s (tps x 8).
\set k random(1, :npairs)
BEGIN;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
SELECT p.status FROM bench_post_pairs b CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p WHERE b.k = :k;
COMMIT;

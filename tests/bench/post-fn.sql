-- post-fn.sql -- pgbench: the post's write function alone, called as
-- POST /api/chats/{id}/messages calls it (same statement, same columns),
-- spread over the seeded POST chats (bench_post_pairs, made by run.sh).
-- The POST figure minus this one is what HTTP, lighttpd and FastCGI cost.
\set k random(1, :npairs)
SELECT p.status, p.seq, (p.msg).id, (p.msg).chat_id, (p.msg).sender_id,
       (p.msg).sender_username, (p.msg).content, (p.msg).created_at, (p.msg).edited_at,
       (p.msg).deleted, (p.msg).client_id, (p.msg).seq, (p.msg).mentions,
       (p.msg).reply_to, (p.msg).reactions, (p.msg).system, p.has_uploads,
       p.member_ids, p.unread_counts, p.total_unreads
  FROM bench_post_pairs b
 CROSS JOIN LATERAL parley_post(b.chat_id, b.user_id,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p
 WHERE b.k = :k;

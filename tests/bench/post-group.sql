-- post-group.sql -- pgbench: the post's write function alone, posting to
-- the fan-out group (the seeded group of BENCH_FANOUT_MEMBERS members;
-- :group set by run.sh), as POST /api/chats/{id}/messages calls it.  Every
-- member's counts are updated and every member's total is read: this is
-- the database's share of a fan-out, before the envelope leaves.  The
-- sender is the group's creator (posts to one chat are serialised by its
-- row lock, so run it with one client).
SELECT p.status, p.seq, (p.msg).id, (p.msg).chat_id, (p.msg).sender_id,
       (p.msg).sender_username, (p.msg).content, (p.msg).created_at, (p.msg).edited_at,
       (p.msg).deleted, (p.msg).client_id, (p.msg).seq, (p.msg).mentions,
       (p.msg).reply_to, (p.msg).reactions, (p.msg).system, p.has_uploads,
       p.member_ids, p.unread_counts, p.total_unreads
  FROM chats c
 CROSS JOIN LATERAL parley_post(c.id, c.created_by,
       'bench message: the quick brown fox jumps over the lazy dog', NULL,
       1e6, 1e6, NULL, '{}', '{}') p
 WHERE c.id = :group;

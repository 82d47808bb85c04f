-- 011_big_group_post.sql -- a post to a big group: each member's total read
-- by an index scan, and room on chat_members' pages for HOT updates.
--
-- Measured with perf and pgbench on one backend posting to a 1,000-member
-- group (docs/bench.md, "A post to a big group"):
-- * Most of the post's CPU was the members' totals (each member's
--   unread_count summed over all their chats, one correlated subquery per
--   member).  In the session's generic plan PostgreSQL estimates ~40 rows
--   per user and picks a bitmap heap scan, which per member builds a
--   TID bitmap, iterates it and asks the kernel for the table's size
--   (lseek); a member has a handful of rows, for which a plain index scan
--   is the cheaper plan by far.  The setting holds only while these
--   functions run; their other statements are single-row lookups by key or
--   the chat's members by the primary key, which it does not change.
--   (parley_change reaches the totals through parley_recipients.)
-- * Every post UPDATEs each member's chat_members row (unread and mention
--   counts, both unindexed, so the update can be HOT: no index entries).
--   HOT needs free space on the row's page; with the default fillfactor of
--   100 about one update in eight went elsewhere, adding entries to both
--   indexes and growing the table (299 -> 382 pages in 200 posts); at 70,
--   99 % were HOT and the table stayed at its size.  The setting applies to
--   pages written from now on: an existing database gets it fully after a
--   `VACUUM FULL chat_members` at a quiet time (not done here: a migration
--   runs in a transaction, where VACUUM cannot).
--
-- Note: CREATE OR REPLACE FUNCTION of either function resets its SET
-- clause; a later migration that redefines one must repeat it.

ALTER FUNCTION parley_post(bigint, bigint, text, text, real, real, bigint, text[], bigint[])
    SET enable_bitmapscan = off;
ALTER FUNCTION parley_recipients(bigint) SET enable_bitmapscan = off;

ALTER TABLE chat_members SET (fillfactor = 70);

-- insert.sql -- pgbench baseline for POST /api/chats/{id}/messages: one
-- committed one-row INSERT of the message shape into a scratch table
-- (bench_scratch, created and dropped by run.sh), spread over 32 chats.
\set chat random(1, 32)
\set sender random(1, 64)
INSERT INTO bench_scratch (chat_id, sender_id, content, client_id, seq)
VALUES (:chat, :sender, 'bench message: the quick brown fox jumps over the lazy dog', NULL, :sender);

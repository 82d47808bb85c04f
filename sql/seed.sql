-- seed.sql -- the demo accounts and their direct chat (README.md).  Idempotent:
-- run by `make run` and the tests after migrations; never by installs.
-- Hashes are argon2id (libsodium, INTERACTIVE), salted:
--   admin / admin123, user1 / password123, user2 / password123.
INSERT INTO users (username, password_hash) VALUES
  ('admin', '$argon2id$v=19$m=65536,t=2,p=1$MIAzLUiw1XaVVv6yGTOgYA$vGNkh97lqi0fYwMN5lOJW/9rYJ0XcrsjNxFwayiiSlk'),
  ('user1', '$argon2id$v=19$m=65536,t=2,p=1$Y0fmyKQFMr2EfDoKwW5W7A$ekJ7vnlhIIeH6pCqEwUZPsMGz9aZUaevtJcD8WB1gRY'),
  ('user2', '$argon2id$v=19$m=65536,t=2,p=1$oFKdUdvEIUzGXBXLO2b/vA$sd2lyKSpQCle4ODo4RQkjLqu/WOsdIS1iDH2thnORpk')
ON CONFLICT DO NOTHING;

SELECT parley_direct_chat(u1.id, u2.id)
  FROM users u1, users u2
 WHERE u1.username = 'user1' AND u2.username = 'user2';

-- The seeded admin administers users (the is_admin column comes with
-- 004_sessions.sql).
UPDATE users SET is_admin = true WHERE username = 'admin';

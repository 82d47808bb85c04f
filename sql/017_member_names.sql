-- 017_member_names.sql -- each membership row carries its member's name and
-- whether the account is deactivated.
--
-- GET /api/chats lists every member of each of the caller's chats (id,
-- username, deactivated, read marker: fcgi-api/chatview.c).  With the name
-- on the users row, that statement joined users once per member row, and
-- its generic plan flipped, run to run, between a hash join over all users
-- and one users_pkey probe per member row: 0.31 or 0.46-0.51 ms for a user
-- in 200 chats (docs/bench.md, "The chat list's members without the users
-- join").  Read from the membership rows it reads anyway, it is 0.27 ms
-- whichever plan.
--
-- Kept equal to users by two triggers:
-- * chat_members_names (BEFORE INSERT, or a changed user_id): the new row
--   takes the user's current name and state (one users_pkey probe per
--   member added: chat creation and membership changes only);
-- * users_member_names (AFTER UPDATE OF username, deactivated_at, only when
--   one of them changed): every membership row of that user.  Deactivation
--   is an admin action and no route renames users, so this is rare; it
--   locks the user's membership rows after the users row, the order a
--   post uses too (sender's users row first, then the chat's members).
-- tests/integration/chatcard.test.js checks that no membership row differs
-- from its user after renames, deactivations and new members.

ALTER TABLE chat_members
    ADD COLUMN username text,
    ADD COLUMN deactivated boolean NOT NULL DEFAULT false;

UPDATE chat_members cm
   SET username = u.username, deactivated = u.deactivated_at IS NOT NULL
  FROM users u
 WHERE u.id = cm.user_id;

ALTER TABLE chat_members ALTER COLUMN username SET NOT NULL;

CREATE FUNCTION parley_member_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT u.username, u.deactivated_at IS NOT NULL
      INTO NEW.username, NEW.deactivated
      FROM users u WHERE u.id = NEW.user_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER chat_members_names
    BEFORE INSERT OR UPDATE OF user_id ON chat_members
    FOR EACH ROW EXECUTE FUNCTION parley_member_fill();

CREATE FUNCTION parley_member_names() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chat_members
       SET username = NEW.username, deactivated = NEW.deactivated_at IS NOT NULL
     WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_member_names
    AFTER UPDATE OF username, deactivated_at ON users
    FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username OR
                       (OLD.deactivated_at IS NULL) IS DISTINCT FROM (NEW.deactivated_at IS NULL))
    EXECUTE FUNCTION parley_member_names();

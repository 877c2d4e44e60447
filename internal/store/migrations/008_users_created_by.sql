-- Who added each user: an administrator sees the people they added before
-- those people hold any role (store.UserQuery). NULL for users added before
-- this migration, whom only administrators at the top of a hierarchy see
-- until they hold a role.
ALTER TABLE users ADD COLUMN created_by TEXT;

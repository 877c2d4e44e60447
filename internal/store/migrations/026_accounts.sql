-- Accounts an administrator can disable (every session and token ends, and
-- sign-in is refused until enabled again), a password a person was given
-- and must change at first sign-in, and one-use links to set a new
-- password (emailed where mail is set up, or made by an administrator to
-- pass on); only their hashes are kept.
ALTER TABLE users ADD COLUMN disabled_at {{timestamp}};
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at {{timestamp}} NOT NULL,
    expires_at {{timestamp}} NOT NULL,
    used_at    {{timestamp}}
);
CREATE INDEX password_resets_user ON password_resets (user_id);

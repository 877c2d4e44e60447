-- Personal API tokens, for scripts: each belongs to one person and carries
-- that person's roles (never those that approve money), read-only unless
-- made for writing, until it expires or is revoked. Only a hash is kept;
-- the token itself is shown once, when it is made.
CREATE TABLE api_tokens (
    id           {{id}},
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    can_write    INTEGER NOT NULL DEFAULT 0,
    created_at   {{timestamp}} NOT NULL,
    expires_at   {{timestamp}} NOT NULL,
    last_used_at {{timestamp}},
    revoked_at   {{timestamp}}
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Each state-changing form carries a key made when the page was drawn; the
-- first submission of a key is handled, and a repeat (a double click, a
-- resend, the same form sent at once through two servers) is answered with
-- the first's result. status is NULL while the first is being handled.
CREATE TABLE form_submissions (
    user_id    BIGINT NOT NULL,
    key        TEXT NOT NULL,
    created_at {{timestamp}} NOT NULL,
    status     INTEGER,
    location   TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, key)
);
CREATE INDEX form_submissions_created ON form_submissions (created_at);

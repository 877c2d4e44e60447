-- Must-dos. Items are worked out from the catalogue, the organisations and
-- the calendar whenever they are needed; only what happens to one (done,
-- assigned) is stored, keyed by the obligation, the organisation, the
-- person (for a personal item; '' otherwise) and the period it is for.

-- The catalogue in force (seeded from the binary's; replaced whole by an import).
CREATE TABLE mustdo_catalogue (
    code            TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    guidance        TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL,
    recurrence      TEXT NOT NULL,
    month           INTEGER NOT NULL DEFAULT 0,
    day             INTEGER NOT NULL DEFAULT 0,
    open_month      INTEGER NOT NULL DEFAULT 0,
    open_day        INTEGER NOT NULL DEFAULT 0,
    nth_working_day INTEGER NOT NULL DEFAULT 0,
    one_off_date    TEXT NOT NULL DEFAULT '',
    evidence        INTEGER NOT NULL DEFAULT 0,
    source          TEXT NOT NULL,
    checked         TEXT NOT NULL,
    withdrawn_at    {{timestamp}}
);

-- A year's own dates for an obligation whose window moves; sequence rises
-- with each change, for calendars that have the old date.
CREATE TABLE mustdo_dates (
    code     TEXT NOT NULL,
    year     INTEGER NOT NULL,
    opens    {{date}},
    due      {{date}} NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    set_by   TEXT NOT NULL,
    set_at   {{timestamp}} NOT NULL,
    PRIMARY KEY (code, year)
);

CREATE TABLE mustdo_states (
    code      TEXT NOT NULL,
    org_code  TEXT NOT NULL REFERENCES orgs (code),
    person    TEXT NOT NULL DEFAULT '',
    period    {{date}} NOT NULL,
    done      INTEGER NOT NULL DEFAULT 0,
    done_by   TEXT NOT NULL DEFAULT '',
    done_at   {{timestamp}},
    note      TEXT NOT NULL DEFAULT '',
    link      TEXT NOT NULL DEFAULT '',
    assignee  TEXT NOT NULL DEFAULT '',
    deputy    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (code, org_code, person, period)
);
CREATE INDEX mustdo_states_org ON mustdo_states (org_code, period);

-- Private calendar feeds: the token is in the address; only its hash is kept.
CREATE TABLE mustdo_feeds (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at {{timestamp}} NOT NULL,
    revoked_at {{timestamp}}
);
CREATE INDEX mustdo_feeds_user ON mustdo_feeds (user_id);

-- Reminder emails. A row a reminder, its key unique, so that planning the
-- same day on several servers makes it once. A sender takes rows for a
-- while (sending_until); a row is sent once sent_at is set. If a sender
-- dies after the mail server took a message and before recording it, the
-- row is sent again when its lease ends, with the same Message-ID.
CREATE TABLE mustdo_outbox (
    key           TEXT PRIMARY KEY,
    to_addr       TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    {{timestamp}} NOT NULL,
    sending_until {{timestamp}},
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_at       {{timestamp}},
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mustdo_outbox_unsent ON mustdo_outbox (sent_at, created_at);

-- A person's reminder choices; none kept means mustdo.DefaultPrefs.
CREATE TABLE mustdo_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest  INTEGER NOT NULL,
    singles INTEGER NOT NULL
);

-- A file given as evidence that an item was done.
CREATE TABLE mustdo_files (
    code         TEXT NOT NULL,
    org_code     TEXT NOT NULL REFERENCES orgs (code),
    person       TEXT NOT NULL DEFAULT '',
    period       {{date}} NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         {{blob}} NOT NULL,
    PRIMARY KEY (code, org_code, person, period)
);

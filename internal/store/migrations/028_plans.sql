-- The shared plan (issue 17): planning rounds with their phases and
-- constituencies, priorities and their moderation, guests, decisions and
-- ballots (marks as plain rows), the plan's objectives, actions and
-- indicators, its versions, statutory checklist and signatures.
CREATE TABLE plan_rounds (
    id            {{id}},
    footprint     TEXT NOT NULL REFERENCES orgs (code),
    title         TEXT NOT NULL,
    from_year     INTEGER NOT NULL,
    to_year       INTEGER NOT NULL,
    phase         TEXT NOT NULL,
    cap           INTEGER NOT NULL,
    published     INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    {{timestamp}} NOT NULL,
    -- the away day: the decision pushed to everyone's screen, and a counter
    -- every vote, push and close moves, which the live streams watch
    live_decision BIGINT,
    live_version  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX plan_rounds_footprint ON plan_rounds (footprint);
CREATE TABLE plan_phases (
    round_id   BIGINT NOT NULL REFERENCES plan_rounds (id),
    phase      TEXT NOT NULL,
    is_on      INTEGER NOT NULL,
    start_date {{date}},
    end_date   {{date}},
    PRIMARY KEY (round_id, phase)
);
CREATE TABLE plan_constituencies (
    round_id  BIGINT NOT NULL REFERENCES plan_rounds (id),
    kind      TEXT NOT NULL,
    sign_role TEXT NOT NULL,
    need_num  INTEGER NOT NULL,
    need_den  INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (round_id, kind)
);
CREATE TABLE plan_priorities (
    id            {{id}},
    round_id      BIGINT NOT NULL REFERENCES plan_rounds (id),
    title         TEXT NOT NULL,
    problem       TEXT NOT NULL,
    constituency  TEXT NOT NULL,
    proposed_by   TEXT NOT NULL,
    proposer_name TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    merged_into   BIGINT,
    split_from    BIGINT,
    created_at    {{timestamp}} NOT NULL
);
CREATE INDEX plan_priorities_round ON plan_priorities (round_id);
CREATE TABLE plan_evidence (
    priority_id BIGINT NOT NULL REFERENCES plan_priorities (id),
    kind        TEXT NOT NULL,
    measure     TEXT NOT NULL,
    org_code    TEXT NOT NULL,
    PRIMARY KEY (priority_id, kind, measure, org_code)
);
CREATE TABLE plan_endorsements (
    priority_id BIGINT NOT NULL REFERENCES plan_priorities (id),
    voter_key   TEXT NOT NULL,
    at          {{timestamp}} NOT NULL,
    PRIMARY KEY (priority_id, voter_key)
);
CREATE TABLE plan_comments (
    id           {{id}},
    priority_id  BIGINT NOT NULL REFERENCES plan_priorities (id),
    author       TEXT NOT NULL, -- as the audit log names them
    author_name  TEXT NOT NULL,
    constituency TEXT NOT NULL,
    body         TEXT NOT NULL,
    at           {{timestamp}} NOT NULL
);
CREATE INDEX plan_comments_priority ON plan_comments (priority_id);
CREATE TABLE plan_moderation (
    id         {{id}},
    round_id   BIGINT NOT NULL REFERENCES plan_rounds (id),
    at         {{timestamp}} NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    priorities TEXT NOT NULL, -- the ids acted on, comma-separated
    result     TEXT NOT NULL, -- the ids made or kept
    reason     TEXT NOT NULL
);
CREATE INDEX plan_moderation_round ON plan_moderation (round_id);
CREATE TABLE plan_guests (
    id           {{id}},
    round_id     BIGINT NOT NULL REFERENCES plan_rounds (id),
    constituency TEXT NOT NULL,
    label        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    signatory    INTEGER NOT NULL DEFAULT 0,
    code_hash    TEXT NOT NULL UNIQUE,
    session_hash TEXT UNIQUE,
    used_at      {{timestamp}},
    expires_at   {{timestamp}} NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   {{timestamp}} NOT NULL
);
CREATE INDEX plan_guests_round ON plan_guests (round_id);
CREATE TABLE plan_decisions (
    id           {{id}},
    round_id     BIGINT NOT NULL REFERENCES plan_rounds (id),
    title        TEXT NOT NULL,
    method       TEXT NOT NULL,
    dots         INTEGER NOT NULL DEFAULT 0,
    criteria     TEXT NOT NULL DEFAULT '', -- one a line
    anonymous    INTEGER NOT NULL,
    hide_results INTEGER NOT NULL,
    opened_by    TEXT NOT NULL,
    opened_at    {{timestamp}} NOT NULL,
    closed_at    {{timestamp}}
);
CREATE INDEX plan_decisions_round ON plan_decisions (round_id);
CREATE TABLE plan_decision_options (
    decision_id BIGINT NOT NULL REFERENCES plan_decisions (id),
    priority_id BIGINT NOT NULL REFERENCES plan_priorities (id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (decision_id, priority_id)
);
-- Who voted (the voter roll): one row a voter a decision, which is what
-- stops a second vote. How they voted is in plan_ballots, linked to the
-- voter only when the decision is not anonymous.
CREATE TABLE plan_voters (
    decision_id  BIGINT NOT NULL REFERENCES plan_decisions (id),
    voter_key    TEXT NOT NULL,
    voter_name   TEXT NOT NULL,
    constituency TEXT NOT NULL,
    voted_at     {{timestamp}} NOT NULL,
    PRIMARY KEY (decision_id, voter_key)
);
-- A ballot's id is random, not a sequence, and an anonymous ballot has no
-- voter and no time. The ballots and their marks are kept in the order of
-- their random ids (SQLite: without a rowid counting up as they are
-- written), and an anonymous decision's ballots are written again, shuffled
-- under new ids, when it closes: nothing orders them against the roll.
CREATE TABLE plan_ballots (
    id           BIGINT NOT NULL PRIMARY KEY,
    decision_id  BIGINT NOT NULL REFERENCES plan_decisions (id),
    constituency TEXT NOT NULL,
    weight       INTEGER NOT NULL,
    paper        INTEGER NOT NULL DEFAULT 0,
    voter_key    TEXT,
    cast_at      {{timestamp}},
    reason       TEXT NOT NULL DEFAULT '',
    entered_by   TEXT NOT NULL DEFAULT ''
){{without_rowid}};
CREATE INDEX plan_ballots_decision ON plan_ballots (decision_id);
CREATE TABLE plan_marks (
    ballot_id   BIGINT NOT NULL REFERENCES plan_ballots (id),
    priority_id BIGINT NOT NULL,
    criterion   INTEGER NOT NULL, -- 0 unless scored on criteria
    value       INTEGER NOT NULL, -- dots, an answer (0 first), a place (1 first) or a score
    PRIMARY KEY (ballot_id, priority_id, criterion)
){{without_rowid}};
CREATE TABLE plan_objectives (
    id          {{id}},
    round_id    BIGINT NOT NULL REFERENCES plan_rounds (id),
    priority_id BIGINT NOT NULL REFERENCES plan_priorities (id),
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL REFERENCES orgs (code),
    UNIQUE (round_id, priority_id)
);
CREATE TABLE plan_actions (
    id           {{id}},
    objective_id BIGINT NOT NULL REFERENCES plan_objectives (id),
    title        TEXT NOT NULL,
    owner        TEXT NOT NULL REFERENCES orgs (code),
    person       TEXT NOT NULL,
    due          {{date}} NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE plan_indicators (
    id             {{id}},
    objective_id   BIGINT NOT NULL REFERENCES plan_objectives (id),
    kind           TEXT NOT NULL,
    measure        TEXT NOT NULL,
    org_code       TEXT NOT NULL REFERENCES orgs (code),
    baseline       BIGINT NOT NULL, -- thousandths of a measure's value, patients, or pence
    baseline_month {{date}},
    higher_better  INTEGER NOT NULL
);
CREATE TABLE plan_targets (
    indicator_id BIGINT NOT NULL REFERENCES plan_indicators (id),
    year         INTEGER NOT NULL,
    target       BIGINT NOT NULL,
    PRIMARY KEY (indicator_id, year)
);
CREATE TABLE plan_versions (
    round_id BIGINT NOT NULL REFERENCES plan_rounds (id),
    n        INTEGER NOT NULL,
    body     TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       {{timestamp}} NOT NULL,
    frozen   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, n)
);
CREATE TABLE plan_checklist (
    id       {{id}},
    round_id BIGINT NOT NULL REFERENCES plan_rounds (id),
    title    TEXT NOT NULL,
    done_by  TEXT NOT NULL DEFAULT '',
    done_at  {{timestamp}},
    note     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE plan_signatures (
    round_id     BIGINT NOT NULL REFERENCES plan_rounds (id),
    version      INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    constituency TEXT NOT NULL,
    member       TEXT NOT NULL,
    member_name  TEXT NOT NULL,
    signer       TEXT NOT NULL,
    at           {{timestamp}} NOT NULL,
    PRIMARY KEY (round_id, version, constituency, member)
);

-- A service may be a draft (a copy into the next year, to edit before it is
-- offered), and its payment rule may change from a day: periods starting
-- from then are priced by the new rule; claims for earlier ones keep theirs.
ALTER TABLE services ADD COLUMN status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('draft', 'live'));
CREATE TABLE service_rules (
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    from_date  {{date}} NOT NULL,
    rule_json  TEXT NOT NULL,
    set_at     {{timestamp}} NOT NULL,
    set_by     TEXT NOT NULL,
    PRIMARY KEY (service_id, from_date)
);

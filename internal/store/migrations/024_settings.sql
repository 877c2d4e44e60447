-- Facts about the database as a whole, by key. 'demo' is '1' where
-- `onepc demo` (or serve --demo) filled it with synthetic data, so that
-- every page served from it can say so.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

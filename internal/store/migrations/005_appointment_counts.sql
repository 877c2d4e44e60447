-- Appointments as one row per practice and month: the month's counts by
-- combination of status, HCP type, mode and band (access.Cell), packed as
-- (cell, count) varint pairs. Measure values as one row per measure and
-- month holding every practice's numerator and denominator. A national year
-- is then about 76,000 rows to write rather than 8 million, and a measure
-- page reads a dozen rows. The rows of 004's tables are carried over by the
-- migration's Go step (store.convertAppointments), which then drops them.
-- Keyed by month first: measures are worked out a month at a time. On
-- SQLite the table is its key's b-tree (no rowid), one write a row.
CREATE TABLE appointment_counts (
    month         {{date}} NOT NULL,
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    counts        {{blob}} NOT NULL,
    PRIMARY KEY (month, practice_code)
){{without_rowid}};

CREATE TABLE measure_months (
    measure_id TEXT NOT NULL REFERENCES measures (id),
    month      {{date}} NOT NULL,
    practices  INTEGER NOT NULL,
    vals       {{blob}} NOT NULL,
    PRIMARY KEY (measure_id, month)
){{without_rowid}};

-- Appointments as one row per practice and month: the month's counts by
-- combination of status, HCP type, mode and band (access.Cell), packed as
-- (cell, count) varint pairs. Measure values as one row per measure and
-- month holding every practice's numerator and denominator. A national year
-- is then about 76,000 rows to write rather than 8 million, and a measure
-- page reads a dozen rows. The rows of 004's tables are carried over by the
-- migration's Go step (store.convertAppointments), which then drops them.
CREATE TABLE appointment_counts (
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    month         {{date}} NOT NULL,
    counts        {{blob}} NOT NULL,
    PRIMARY KEY (practice_code, month)
);
CREATE INDEX appointment_counts_month ON appointment_counts (month);

CREATE TABLE measure_months (
    measure_id TEXT NOT NULL REFERENCES measures (id),
    month      {{date}} NOT NULL,
    practices  INTEGER NOT NULL,
    vals       {{blob}} NOT NULL,
    PRIMARY KEY (measure_id, month)
);

-- Appointments and measure values as plain rows that any SQL client, BI tool
-- or analyst can read (005 packed them into blobs). The dimensions are the
-- publication's vocabularies, stored as small numbers with a lookup table
-- each, holding the strings exactly as published.
--
-- practice_appointments is the publication's crosstab: a row per month,
-- practice, status, clinician type and mode, with the count for each time
-- from booking to appointment in a column of its own (summed over
-- NATIONAL_CATEGORY, which no measure uses). That is a fifth of the rows of
-- one per band, which is what lets a national month load in well under
-- DuckDB's time. The view practice_appointment_counts gives one row per
-- combination of all four dimensions with its count:
--
--   SELECT a.month, a.practice_code, s.name AS appt_status, h.name AS hcp_type,
--          m.name AS appt_mode, b.name AS time_between_book_and_appt, a.count
--   FROM practice_appointment_counts a
--   JOIN appt_statuses s ON s.id = a.appt_status JOIN hcp_types h ON h.id = a.hcp_type
--   JOIN appt_modes m ON m.id = a.appt_mode JOIN booking_bands b ON b.id = a.booking_band
--
-- The rows of 004's and 005's tables are carried over by the migration's Go
-- step (store.carryAppointmentsOver), which then drops those tables.
CREATE TABLE appt_statuses (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE hcp_types     (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE appt_modes    (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE booking_bands (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, count_column TEXT NOT NULL UNIQUE);

INSERT INTO appt_statuses (id, name) VALUES (0, 'Attended'), (1, 'DNA'), (2, 'Unknown');
INSERT INTO hcp_types (id, name) VALUES (0, 'GP'), (1, 'Other Practice staff'), (2, 'Unknown');
INSERT INTO appt_modes (id, name) VALUES (0, 'Face-to-Face'), (1, 'Telephone'), (2, 'Home Visit'),
    (3, 'Video Conference/Online'), (4, 'Unknown');
INSERT INTO booking_bands (id, name, count_column) VALUES (0, 'Same Day', 'same_day'), (1, '1 Day', 'one_day'),
    (2, '2 to 7 Days', 'two_to_seven_days'), (3, '8  to 14 Days', 'eight_to_fourteen_days'),
    (4, '15  to 21 Days', 'fifteen_to_twenty_one_days'), (5, '22  to 28 Days', 'twenty_two_to_twenty_eight_days'),
    (6, 'More than 28 Days', 'more_than_twenty_eight_days'), (7, 'Unknown / Data Quality', 'unknown_band');

-- Keyed by month first: an import replaces a month's practices, and measures
-- are worked out a month at a time. On SQLite the table is its key's b-tree.
-- The dimensions are checked by range rather than by foreign key, and the
-- practice is not a foreign key either (the import creates every practice it
-- meets first): index look-ups for every row would double the time a
-- national month takes to load.
CREATE TABLE practice_appointments (
    month                           {{date}} NOT NULL,
    practice_code                   TEXT NOT NULL,
    appt_status                     SMALLINT NOT NULL CHECK (appt_status BETWEEN 0 AND 2),
    hcp_type                        SMALLINT NOT NULL CHECK (hcp_type BETWEEN 0 AND 2),
    appt_mode                       SMALLINT NOT NULL CHECK (appt_mode BETWEEN 0 AND 4),
    same_day                        BIGINT NOT NULL,
    one_day                         BIGINT NOT NULL,
    two_to_seven_days               BIGINT NOT NULL,
    eight_to_fourteen_days          BIGINT NOT NULL,
    fifteen_to_twenty_one_days      BIGINT NOT NULL,
    twenty_two_to_twenty_eight_days BIGINT NOT NULL,
    more_than_twenty_eight_days     BIGINT NOT NULL,
    unknown_band                    BIGINT NOT NULL,
    PRIMARY KEY (month, practice_code, appt_status, hcp_type, appt_mode)
){{without_rowid}};

CREATE VIEW practice_appointment_counts AS
    SELECT month, practice_code, appt_status, hcp_type, appt_mode, 0 AS booking_band, same_day AS count FROM practice_appointments WHERE same_day <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 1, one_day FROM practice_appointments WHERE one_day <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 2, two_to_seven_days FROM practice_appointments WHERE two_to_seven_days <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 3, eight_to_fourteen_days FROM practice_appointments WHERE eight_to_fourteen_days <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 4, fifteen_to_twenty_one_days FROM practice_appointments WHERE fifteen_to_twenty_one_days <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 5, twenty_two_to_twenty_eight_days FROM practice_appointments WHERE twenty_two_to_twenty_eight_days <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 6, more_than_twenty_eight_days FROM practice_appointments WHERE more_than_twenty_eight_days <> 0
    UNION ALL SELECT month, practice_code, appt_status, hcp_type, appt_mode, 7, unknown_band FROM practice_appointments WHERE unknown_band <> 0;

-- Each measure's numerator and denominator per practice and month (the
-- denominator NULL where it is not known: a per-1,000 measure in a month
-- without the practice's registered list).
CREATE TABLE practice_measure_values (
    measure_id    TEXT NOT NULL REFERENCES measures (id),
    month         {{date}} NOT NULL,
    practice_code TEXT NOT NULL,
    numerator     BIGINT NOT NULL,
    denominator   BIGINT,
    PRIMARY KEY (measure_id, month, practice_code)
){{without_rowid}};

-- The months loaded, with how many practices each holds.
CREATE TABLE appointment_months (
    month       {{date}} PRIMARY KEY,
    practices   INTEGER NOT NULL,
    imported_at {{timestamp}} NOT NULL
);

-- Moves whenever reference data changes: organisations, PCN memberships,
-- appointments, registered lists, measures (see store.DataVersion).
CREATE TABLE data_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO data_version (id, version) VALUES (1, 1);

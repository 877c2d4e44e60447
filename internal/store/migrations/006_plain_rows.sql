-- Appointments and measure values as plain rows that any SQL client, BI tool
-- or analyst can read (005 packed them into blobs). The dimensions are the
-- publication's vocabularies, stored as small numbers with a lookup table
-- each, holding the strings exactly as published:
--
--   SELECT a.month, a.practice_code, s.name AS appt_status, h.name AS hcp_type,
--          m.name AS appt_mode, b.name AS time_between_book_and_appt, a.count
--   FROM practice_appointments a
--   JOIN appt_statuses s ON s.id = a.appt_status JOIN hcp_types h ON h.id = a.hcp_type
--   JOIN appt_modes m ON m.id = a.appt_mode JOIN booking_bands b ON b.id = a.booking_band
--
-- Rows are summed over NATIONAL_CATEGORY, which no measure uses. The rows of
-- 004's and 005's tables are carried over by the migration's Go step
-- (store.carryAppointmentsOver), which then drops those tables.
CREATE TABLE appt_statuses (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE hcp_types     (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE appt_modes    (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE booking_bands (id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);

INSERT INTO appt_statuses (id, name) VALUES (0, 'Attended'), (1, 'DNA'), (2, 'Unknown');
INSERT INTO hcp_types (id, name) VALUES (0, 'GP'), (1, 'Other Practice staff'), (2, 'Unknown');
INSERT INTO appt_modes (id, name) VALUES (0, 'Face-to-Face'), (1, 'Telephone'), (2, 'Home Visit'),
    (3, 'Video Conference/Online'), (4, 'Unknown');
INSERT INTO booking_bands (id, name) VALUES (0, 'Same Day'), (1, '1 Day'), (2, '2 to 7 Days'), (3, '8  to 14 Days'),
    (4, '15  to 21 Days'), (5, '22  to 28 Days'), (6, 'More than 28 Days'), (7, 'Unknown / Data Quality');

-- Keyed by month first: an import replaces a month's practices, and measures
-- are worked out a month at a time. On SQLite the table is its key's b-tree.
-- The dimensions are checked by range rather than by foreign key, and the
-- practice is not a foreign key either (the import creates every practice it
-- meets first): five index look-ups a row would more than double the time a
-- national month takes to load.
CREATE TABLE practice_appointments (
    month         {{date}} NOT NULL,
    practice_code TEXT NOT NULL,
    appt_status   SMALLINT NOT NULL CHECK (appt_status BETWEEN 0 AND 2),
    hcp_type      SMALLINT NOT NULL CHECK (hcp_type BETWEEN 0 AND 2),
    appt_mode     SMALLINT NOT NULL CHECK (appt_mode BETWEEN 0 AND 4),
    booking_band  SMALLINT NOT NULL CHECK (booking_band BETWEEN 0 AND 7),
    count         BIGINT NOT NULL,
    PRIMARY KEY (month, practice_code, appt_status, hcp_type, appt_mode, booking_band)
){{without_rowid}};

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
CREATE INDEX practice_measure_values_practice ON practice_measure_values (practice_code, measure_id, month);

-- The months loaded, with how many practices each holds.
CREATE TABLE appointment_months (
    month       {{date}} PRIMARY KEY,
    practices   INTEGER NOT NULL,
    imported_at {{timestamp}} NOT NULL
);

-- Moves whenever the access figures change (see store.AccessVersion).
CREATE TABLE access_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO access_version (id, version) VALUES (1, 1);

-- Measure values keyed by month first, as practice_appointments is: a new
-- month's values then go at the end of the table, one run of pages, instead
-- of into its middle at one place per measure (bench/gpad). A measure's
-- months are read with one look-up a month (store.MeasureValues).
CREATE TABLE practice_measure_values_by_month (
    month         {{date}} NOT NULL,
    measure_id    TEXT NOT NULL REFERENCES measures (id),
    practice_code TEXT NOT NULL,
    numerator     BIGINT NOT NULL,
    denominator   BIGINT,
    PRIMARY KEY (month, measure_id, practice_code)
){{without_rowid}};

INSERT INTO practice_measure_values_by_month (month, measure_id, practice_code, numerator, denominator)
    SELECT month, measure_id, practice_code, numerator, denominator FROM practice_measure_values
    ORDER BY month, measure_id, practice_code;
DROP TABLE practice_measure_values;
ALTER TABLE practice_measure_values_by_month RENAME TO practice_measure_values;

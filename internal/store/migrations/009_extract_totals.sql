-- Each extract's totals by sex and band over every practice loaded, and how
-- many practices that is: the reference population for needs weighting (and
-- the "England" pyramid when the national file is loaded). Written by each
-- registered-patients import, so that pricing a capitation claim reads 40
-- rows rather than adding up every practice's bands (a quarter of a million
-- rows nationally) on every return.
CREATE TABLE extract_bands (
    extract_date {{date}} NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    band         INTEGER NOT NULL CHECK (band >= 0 AND band < 20),
    patients     BIGINT NOT NULL,
    PRIMARY KEY (extract_date, sex, band)
);
CREATE TABLE extract_practices (
    extract_date {{date}} PRIMARY KEY,
    practices    INTEGER NOT NULL
);
INSERT INTO extract_bands (extract_date, sex, band, patients)
    SELECT extract_date, sex, band, SUM(patients) FROM population_bands GROUP BY extract_date, sex, band;
INSERT INTO extract_practices (extract_date, practices)
    SELECT extract_date, COUNT(DISTINCT practice_code) FROM population_bands GROUP BY extract_date;

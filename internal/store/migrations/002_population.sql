-- Registered list per practice per published extract (NHS England,
-- "Patients Registered at a GP Practice").
CREATE TABLE list_sizes (
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    extract_date  {{date}} NOT NULL,
    patients      INTEGER NOT NULL CHECK (patients >= 0),
    PRIMARY KEY (practice_code, extract_date)
);
CREATE INDEX list_sizes_extract ON list_sizes (extract_date);

-- Five-year age bands by sex; absent where the breakdown was suppressed.
CREATE TABLE population_bands (
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    extract_date  {{date}} NOT NULL,
    sex           TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    band          INTEGER NOT NULL CHECK (band >= 0 AND band < 20),
    patients      INTEGER NOT NULL CHECK (patients >= 0),
    PRIMARY KEY (practice_code, extract_date, sex, band)
);
CREATE INDEX population_bands_extract ON population_bands (extract_date);

-- Needs weights a commissioner set for a Place or ICB, in thousandths.
CREATE TABLE population_weights (
    org_code     TEXT NOT NULL REFERENCES orgs (code),
    sex          TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    band         INTEGER NOT NULL CHECK (band >= 0 AND band < 20),
    weight_milli INTEGER NOT NULL CHECK (weight_milli >= 0),
    PRIMARY KEY (org_code, sex, band)
);

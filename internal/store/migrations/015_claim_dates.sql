-- Dates that bound claims: a service's first and last days (NULL: its
-- year's first and last), and the start a commissioner sets on an offer
-- (NULL: the day it is accepted).
ALTER TABLE services ADD COLUMN starts_on {{date}};
ALTER TABLE services ADD COLUMN ends_on {{date}};
ALTER TABLE offers ADD COLUMN offered_start {{date}};

-- A number that rises with every change must-dos are worked out from: the
-- catalogue, a year's dates, an item's state, a grant (who keeps and who
-- owes personal items). Servers keep heat maps and calendar feeds while it,
-- and data_version, stand.
CREATE TABLE mustdo_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO mustdo_version (id, version) VALUES (1, 1);

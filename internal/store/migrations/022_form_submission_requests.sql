-- A form's key answers only the request it was first sent with: request is
-- a hash of the method, path and content (not the key or CSRF token), and a
-- key sent again with another request is refused rather than answered with
-- the first one's result.
ALTER TABLE form_submissions ADD COLUMN request TEXT NOT NULL DEFAULT '';

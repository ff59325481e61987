-- User ids are strings (any id claim: integers, GUIDs, ASP.NET Identity's ids): a key's user is its id's text.
-- Existing keys keep their users, an integer becoming its text ("42").
ALTER TABLE idempotency_keys ALTER COLUMN user_id TYPE text;

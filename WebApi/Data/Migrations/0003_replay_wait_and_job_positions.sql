-- The replay-wait function this migration used to create is the read-your-writes library's own now (it creates it
-- if missing); only the jobs change stays with the app.

-- A job no longer waits for a token from the write: the worker reads as of the primary's position when it claims the
-- job, which is past the job's commit (a job is visible only once its commit record is in the WAL).
ALTER TABLE jobs DROP COLUMN consistency_token;

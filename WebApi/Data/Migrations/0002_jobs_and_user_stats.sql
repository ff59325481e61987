-- Work handed off by a write to a background worker. The write's consistency token is attached right after the
-- write is recorded, so the worker's reads of the triggering data are never older than the write.
CREATE TABLE jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL,
    user_id           bigint      NOT NULL,
    subject_id        bigint      NOT NULL,
    consistency_token text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz,
    saw_subject       boolean,
    read_source       text
);

CREATE INDEX jobs_pending ON jobs (id) WHERE processed_at IS NULL;

-- Derived by the worker: how many posts each user has.
CREATE TABLE user_stats (
    user_id     bigint      PRIMARY KEY,
    post_count  bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

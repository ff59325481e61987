-- The outcome of a write sent with an Idempotency-Key, per user and key. The row is inserted first in the write's own
-- transaction (a duplicate's insert waits on the primary key until that transaction ends) and its outcome is set just
-- before the same transaction commits, so a committed row always holds the response the first request got.
CREATE TABLE IF NOT EXISTS orleansraw_idempotency_keys (
    -- The user id as the app's claim carries it.
    user_id          text        NOT NULL,
    idempotency_key  text        NOT NULL,
    -- SHA-256 of the request's method, path and body: the same key with another request is refused.
    fingerprint      bytea       NOT NULL,
    status           smallint,
    content_type     text,
    location         text,
    body             bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    CONSTRAINT orleansraw_idempotency_keys_pkey PRIMARY KEY (user_id, idempotency_key)
);

-- For the periodic delete of expired keys.
CREATE INDEX IF NOT EXISTS orleansraw_idempotency_keys_expires_at ON orleansraw_idempotency_keys (expires_at);

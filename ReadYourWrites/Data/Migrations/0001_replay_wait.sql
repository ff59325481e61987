-- Runs on replicas (it reaches them by replication): true once the replica has replayed `target`, waiting for it in
-- 1 ms steps for at most `timeout_ms`. A read's position check calls it as a statement of its own before the read,
-- so the read's snapshot is taken after the position was replayed.
CREATE OR REPLACE FUNCTION orleansraw_wait_replay(target pg_lsn, timeout_ms integer) RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => LEAST(GREATEST(timeout_ms, 0), 60000) / 1000.0);
BEGIN
    LOOP
        IF COALESCE(pg_last_wal_replay_lsn() >= target, false) THEN
            RETURN true;
        END IF;
        IF clock_timestamp() >= deadline THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.001);
    END LOOP;
END
$$;

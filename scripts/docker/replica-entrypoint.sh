#!/usr/bin/env bash
# Entrypoint for a streaming-replica container: clones the primary on first start, then runs a hot standby.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${REPLICA_NAME:?REPLICA_NAME must be set}"
PRIMARY_HOST="${PRIMARY_HOST:-primary}"

mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # depends_on covers the usual case; this also covers a manual `up` of a single replica.
    until pg_isready -h "$PRIMARY_HOST" -p 5432 -U postgres -q; do
        echo "replica $REPLICA_NAME: waiting for $PRIMARY_HOST..."
        sleep 1
    done

    echo "replica $REPLICA_NAME: cloning $PRIMARY_HOST"
    gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U postgres -D "$PGDATA" -R -X stream -c fast

    # -R already wrote a primary_conninfo; the later line wins and adds application_name,
    # which is what pg_stat_replication reports on the primary.
    echo "primary_conninfo = 'host=$PRIMARY_HOST port=5432 user=postgres application_name=$REPLICA_NAME'" \
        >> "$PGDATA/postgresql.auto.conf"

    chown -R postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
fi

# Extra arguments are passed through as server options; drop a leading "postgres" (the image's CMD) if present.
if [ "${1:-}" = postgres ]; then
    shift
fi
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on "$@"

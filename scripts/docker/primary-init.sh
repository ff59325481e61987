#!/usr/bin/env bash
# Runs once, from /docker-entrypoint-initdb.d, when the primary's data directory is first initialised.
# Lets the replicas stream WAL from anywhere on the compose network. Local development only.
set -euo pipefail

echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"

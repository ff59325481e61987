# The development topology for the scripts: the ports each system's services use, and the settings that point the
# silos and the API at them. DevTopology (benchmarks/OrleansRaw.Bench/Harness/DevTopology.cs) is the same for the C#
# harnesses; a unit test keeps the two, the appsettings files and docker-compose.yml in step.

# The most replicas a set may have: the primary allows 10 WAL senders, and a replica's base backup takes two while
# the replicas made before it stream.
TOPOLOGY_MAX_REPLICAS=8

# topology_ports dev|test|bench: exports PG_PRIMARY_PORT, PG_REPLICAS (how many replicas, 2 unless set),
# PG_REPLICA1_PORT up to PG_REPLICA<n>_PORT and REDIS_PORT, each from the variable of that name (dev), prefixed TEST_
# (test) or BENCH_ (bench) when set, else the set's default. Replica 1 and 2 have a default port each; every later
# replica takes the port after the one before it. All three sets can run at once; ./test's and ./bench's lie below
# Linux's ephemeral range (32768-60999), where no outgoing connection can hold one of them.
topology_ports() {
  local prefix name from count index previous
  case "${1:-}" in
    dev) prefix=; set -- 55432 55433 55434 56379 ;;
    test) prefix=TEST_; set -- 27432 27433 27434 27379 ;;
    bench) prefix=BENCH_; set -- 24432 24433 24434 24379 ;;
    *) printf 'topology_ports: dev, test or bench, not "%s"\n' "${1:-}" >&2; return 2 ;;
  esac
  for name in PG_PRIMARY_PORT PG_REPLICA1_PORT PG_REPLICA2_PORT REDIS_PORT; do
    from=$prefix$name
    export "$name=${!from:-$1}"
    shift
  done
  from=${prefix}PG_REPLICAS
  count=${!from:-2}
  if ! [[ "$count" =~ ^[1-9]$ ]] || ((count > TOPOLOGY_MAX_REPLICAS)); then
    printf 'topology_ports: %s must be a number of replicas from 1 to %s, not "%s"\n' "$from" "$TOPOLOGY_MAX_REPLICAS" "$count" >&2
    return 2
  fi
  export PG_REPLICAS=$count
  for ((index = 3; index <= count; index++)); do
    name=PG_REPLICA${index}_PORT
    from=$prefix$name
    previous=PG_REPLICA$((index - 1))_PORT
    export "$name=${!from:-$((${!previous} + 1))}"
  done
}

# topology_replica_port N: the port of replica N (1 to PG_REPLICAS), once topology_ports has run.
topology_replica_port() {
  local name=PG_REPLICA${1}_PORT
  [[ "$1" =~ ^[1-9]$ ]] && (($1 <= ${PG_REPLICAS:-2})) && [[ -n "${!name:-}" ]] \
    || { printf 'topology_replica_port: no replica %s (there are %s)\n' "$1" "${PG_REPLICAS:-2}" >&2; return 2; }
  echo "${!name}"
}

# topology_settings [connection options]: the settings for the services on those ports, as environment variables,
# one NAME=VALUE a line; the options (e.g. "Maximum Pool Size=50") go on every connection string.
topology_settings() {
  local options=${1:+;$1} host=127.0.0.1 hosts index port
  hosts=$host:$PG_PRIMARY_PORT
  for ((index = 1; index <= ${PG_REPLICAS:-2}; index++)); do
    port=$(topology_replica_port "$index") || return
    hosts+=,$host:$port
  done
  # The primary is whichever node is not a standby, so a failover (scripts/services failover) needs no restart.
  echo "Database__Primary=Host=$hosts;Target Session Attributes=primary;Host Recheck Seconds=1;Username=postgres;Database=orleansraw$options"
  for ((index = 1; index <= ${PG_REPLICAS:-2}; index++)); do
    printf '%s\n' \
      "Database__Replicas__$((index - 1))__Name=replica-$index" \
      "Database__Replicas__$((index - 1))__ConnectionString=Host=$host;Port=$(topology_replica_port "$index");Username=postgres;Database=orleansraw$options"
  done
  echo "Redis__ConnectionString=$host:$REDIS_PORT"
}

# topology_export [connection options]: exports what topology_settings prints.
topology_export() {
  local text lines
  text=$(topology_settings "$@") || return
  mapfile -t lines <<<"$text"
  export "${lines[@]}"
}

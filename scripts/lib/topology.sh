# The development topology for the scripts: the ports each system's services use, and the settings that point the
# silos and the API at them. DevTopology (benchmarks/OrleansRaw.Bench/Harness/DevTopology.cs) is the same for the C#
# harnesses; a unit test keeps the two, the appsettings files and docker-compose.yml in step.

# topology_ports dev|test|bench: exports PG_PRIMARY_PORT, PG_REPLICA1_PORT, PG_REPLICA2_PORT and REDIS_PORT, each from
# the variable of that name (dev), prefixed TEST_ (test) or BENCH_ (bench) when set, else the set's default. All
# three sets can run at once; ./test's and ./bench's lie below Linux's ephemeral range (32768-60999), where no
# outgoing connection can hold one of them.
topology_ports() {
  local prefix name from
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
}

# topology_settings [connection options]: the settings for the services on those ports, as environment variables,
# one NAME=VALUE a line; the options (e.g. "Maximum Pool Size=50") go on every connection string.
topology_settings() {
  local options=${1:+;$1} host=127.0.0.1
  # The primary is whichever node is not a standby, so a failover (scripts/services failover) needs no restart.
  printf '%s\n' \
    "Database__Primary=Host=$host:$PG_PRIMARY_PORT,$host:$PG_REPLICA1_PORT,$host:$PG_REPLICA2_PORT;Target Session Attributes=primary;Host Recheck Seconds=1;Username=postgres;Database=orleansraw$options" \
    "Database__Replicas__0__Name=replica-1" \
    "Database__Replicas__0__ConnectionString=Host=$host;Port=$PG_REPLICA1_PORT;Username=postgres;Database=orleansraw$options" \
    "Database__Replicas__1__Name=replica-2" \
    "Database__Replicas__1__ConnectionString=Host=$host;Port=$PG_REPLICA2_PORT;Username=postgres;Database=orleansraw$options" \
    "Redis__ConnectionString=$host:$REDIS_PORT"
}

# topology_export [connection options]: exports what topology_settings prints.
topology_export() {
  local text lines
  text=$(topology_settings "$@") || return
  mapfile -t lines <<<"$text"
  export "${lines[@]}"
}

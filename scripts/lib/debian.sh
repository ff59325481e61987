# Installs the Debian packages a script needs, only when they are missing. Sourced by every script that installs any:
#
#   ensure_debian_packages [--if-root] <package>=<command or path> ...
#
# A package counts as present when its command is found (on PATH, /usr/sbin or /sbin) or, for a check containing a
# slash, when that path (a glob is allowed) names an executable file. Every missing package is installed in one quiet
# apt-get run; `apt-get update` runs only when that plain install fails (a fresh machine's empty package lists).
# Not root and something missing: an error naming the packages and the command that installs them, or with --if-root
# a notice, and the caller goes on without them. Returns non-zero on failure and never exits, so callers decide.

debian_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# True when <check> (a command name, or a path or glob) is installed.
debian_present() {
  local check=$1 path
  if [[ "$check" == */* ]]; then
    for path in $check; do [[ -f "$path" && -x "$path" ]] && return 0; done
    return 1
  fi
  PATH=$PATH:/usr/sbin:/sbin command -v "$check" >/dev/null 2>&1
}

ensure_debian_packages() {
  local if_root=0 pair missing=()
  [[ "${1:-}" == --if-root ]] && { if_root=1; shift; }
  for pair in "$@"; do
    [[ "$pair" == ?*=?* ]] || { debian_log "error: ensure_debian_packages takes package=command pairs, not '$pair'"; return 2; }
    debian_present "${pair#*=}" || missing+=("${pair%%=*}")
  done
  ((${#missing[@]} == 0)) && return 0

  if [[ $(id -u) -ne 0 ]]; then
    if ((if_root)); then
      debian_log "not root: not installing ${missing[*]} (install them with apt-get install -y ${missing[*]})"
      return 0
    fi
    debian_log "error: missing packages (${missing[*]}); run as root or install them: apt-get install -y ${missing[*]}"
    return 1
  fi
  debian_log "installing ${missing[*]} from Debian's packages"
  # The packages' own services are not started: the scripts start what they need, on loopback ports of their own,
  # and a package's default (Prometheus and its node exporter on every interface, say) would take those ports.
  local policy=/usr/sbin/policy-rc.d own_policy=0 status=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    if ! apt-get update -qq >/dev/null 2>&1; then
      debian_log "error: apt-get update failed"; status=1
    elif ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
      debian_log "error: apt-get install ${missing[*]} failed"; status=1
    fi
  fi
  ((own_policy)) && rm -f "$policy"
  # Nor do they start at the next boot, where systemd runs: the same ports again.
  if ((status == 0)) && [[ -d /run/systemd/system ]]; then
    local unit
    for unit in prometheus prometheus-node-exporter; do
      systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
    done
  fi
  return "$status"
}

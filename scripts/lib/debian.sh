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
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || { debian_log "error: apt-get update failed"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { debian_log "error: apt-get install ${missing[*]} failed"; return 1; }
  fi
}

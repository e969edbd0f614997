# Waiting in the shell tests, one way (as tests/integration/eventually.h and
# tests/eventually.mjs): runs a command every 50 ms until it succeeds; past the deadline, says
# what it waited for and fails. Source it, then: eventually SECONDS "what" command [args…]
eventually() {
  local secs=$1 what=$2
  shift 2
  local deadline=$(($(date +%s%N) / 1000000 + secs * 1000))
  until "$@"; do
    if (($(date +%s%N) / 1000000 >= deadline)); then
      echo "waited ${secs}s for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# Succeeds once the process PID is alive and FILE is not empty; stops the wait (exit 1 of the
# whole script) when PID has exited: `eventually 60 "dev's port file" ready_file "$dev" "$work/port"`.
ready_file() {
  [ -s "$2" ] && return 0
  kill -0 "$1" 2>/dev/null || { echo "process $1 exited before writing $2" >&2; exit 1; }
  return 1
}

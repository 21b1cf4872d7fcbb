#!/usr/bin/env bash
# Rolling upgrade (or rollback) of an OpenPREP center during the night, one process at a time,
# with intake and the cut schedule running throughout (docs/deployment.md, "Upgrading during
# the night"). Run by src/center/rolling_upgrade.test.ts against three `serve` nodes behind
# nginx and two cut builders on one PostgreSQL.
#
#   rolling-upgrade.sh start   RELEASE   DRILL_DIR   start every node and builder from RELEASE
#   rolling-upgrade.sh upgrade FROM TO   DRILL_DIR   move every process from FROM to TO
#   rolling-upgrade.sh rollback FROM TO  DRILL_DIR   the same, nodes taken in reverse order
#   rolling-upgrade.sh stop              DRILL_DIR   stop everything (SIGTERM, drained)
#
# A release is an installed OpenPREP folder (bin/openprep.js, src/, node_modules/). DRILL_DIR
# holds what the script is told and what it keeps:
#   drill.env   sourced: DATA (the data folder), DATABASE_URL, OPENPREP_* for every process,
#               CUT_ARGS (e.g. "--every 5"), and optionally
#               BALANCER_OUT / BALANCER_IN: commands run with the node's name and address as
#               arguments, that take it out of / put it back into the balancer (nginx: mark
#               the upstream server `down` and `nginx -s reload`); unset: the node's /readyz
#               503 is what tells the balancer (HAProxy, a cloud balancer with health checks),
#               ACCESS_LOG: the balancer's access log in the format '$status $upstream_status'
#               (nginx), from which the 5xx answered and the requests retried on another node
#               during the run are counted.
#   nodes       one line per serve node: NAME HOST:PORT
#   builders    one line per cut builder: NAME
#   NAME.pid, NAME.log, NAME.release   kept by this script.
# Prints one JSON object with the timings on standard output; progress goes to standard error.
# Needs bash, curl and jq.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" >&2
  exit 2
}
log() { printf '%s rolling-upgrade: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { # a step failed: stop where we are (the log says which process, and its log file)
  log "STOPPED: $*"
  exit 1
}
refuse() { # before anything is touched
  log "REFUSED: $*"
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[ $# -ge 2 ] || usage
ACTION=$1
shift
case $ACTION in
start) [ $# -eq 2 ] || usage; FROM=""; TO=$(cd "$1" && pwd); DIR=$2 ;;
upgrade | rollback) [ $# -eq 3 ] || usage; FROM=$(cd "$1" && pwd); TO=$(cd "$2" && pwd); DIR=$3 ;;
stop) [ $# -eq 1 ] || usage; FROM=""; TO=""; DIR=$1 ;;
*) usage ;;
esac
DIR=$(cd "$DIR" && pwd)
set -a
# shellcheck source=/dev/null
. "$DIR/drill.env"
set +a
: "${DATA:?drill.env must set DATA}" "${DATABASE_URL:?drill.env must set DATABASE_URL}"
CUT_ARGS=${CUT_ARGS:---every 5}
READY_TIMEOUT=${READY_TIMEOUT:-60}
STOP_TIMEOUT=${STOP_TIMEOUT:-120}
mapfile -t NODES < <(grep -v '^\s*\(#\|$\)' "$DIR/nodes")
mapfile -t BUILDERS < <(grep -v '^\s*\(#\|$\)' "$DIR/builders" 2>/dev/null || true)

openprep() { # RELEASE ARGS… — the release's own Node and CLI
  local release=$1
  shift
  "$release/node_modules/.bin/node" "$release/bin/openprep.js" "$@"
}

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

ready() { # ADDRESS — 0 when /readyz answers 200
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/readyz")" = 200 ]
}

listening() { # ADDRESS — 0 while the node takes connections (whatever it answers)
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/healthz")" != 000 ]
}

# --- starting and stopping one process -----------------------------------------------------

start_node() { # NAME ADDRESS RELEASE
  local name=$1 address=$2 release=$3
  (
    cd "$DIR"
    OPENPREP_HOST=${address%:*} OPENPREP_PORT=${address##*:} \
      setsid "$release/node_modules/.bin/node" "$release/bin/openprep.js" serve --data "$DATA" \
      >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
  )
  echo "$release" >"$DIR/$name.release"
}

start_builder() { # NAME RELEASE
  local name=$1 release=$2
  (
    cd "$DIR"
    # shellcheck disable=SC2086 # CUT_ARGS is a list of arguments
    setsid "$release/node_modules/.bin/node" "$release/bin/openprep.js" cut --data "$DATA" $CUT_ARGS \
      >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
  )
  echo "$release" >"$DIR/$name.release"
}

wait_listening() { # ADDRESS NAME
  local deadline=$((SECONDS + READY_TIMEOUT))
  until listening "$1"; do
    running "$2" || die "$2 exited while starting (see $DIR/$2.log)"
    [ $SECONDS -lt $deadline ] || die "$2 not listening on http://$1/ after ${READY_TIMEOUT} s"
    sleep 0.05
  done
}

wait_ready() { # ADDRESS NAME
  local deadline=$((SECONDS + READY_TIMEOUT))
  until ready "$1"; do
    running "$2" || die "$2 exited while starting (see $DIR/$2.log)"
    [ $SECONDS -lt $deadline ] || die "$2 not ready on http://$1/readyz after ${READY_TIMEOUT} s"
    sleep 0.1
  done
}

wait_exit() { # NAME — after SIGTERM; SIGKILL past STOP_TIMEOUT
  local pid deadline=$((SECONDS + STOP_TIMEOUT))
  pid=$(cat "$DIR/$1.pid")
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "$1 (pid $pid) still running ${STOP_TIMEOUT} s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$DIR/$1.pid"
}

# --- the schema rule (expand/contract) -----------------------------------------------------

# Both releases must run on the database as it is, and if TO migrates it, FROM must still run
# on what TO leaves: only then can every node go back to FROM (`openprep schema`, whose rule is
# PG_OLDEST_READER in src/store/postgres/migrations.ts).
check_schema() {
  local from_json to_json db_version to_version to_oldest from_version
  from_json=$(openprep "$FROM" schema --json) || refuse "the release $FROM does not run on the database: $from_json"
  to_json=$(openprep "$TO" schema --json) || refuse "the release $TO does not run on the database: $to_json"
  db_version=$(jq -r '.database.version // 0' <<<"$to_json")
  from_version=$(jq -r '.code.version' <<<"$from_json")
  to_version=$(jq -r '.code.version' <<<"$to_json")
  to_oldest=$(jq -r '.code.oldestReader' <<<"$to_json")
  if [ "$to_version" -gt "$db_version" ] && [ "$to_oldest" -gt "$from_version" ]; then
    refuse "$TO migrates the database to schema $to_version, on which only code from schema $to_oldest on runs; $FROM knows $from_version: there would be no way back. Release it in two steps (expand, then contract)"
  fi
  log "schema: database $db_version, $FROM knows $from_version, $TO knows $to_version (runs on the database from $to_oldest on): both releases run on it"
  SCHEMA_BEFORE=$db_version
}

# --- one node, one builder -------------------------------------------------------------------

NODE_TIMINGS=()
BUILDER_TIMINGS=()

upgrade_node() { # NAME ADDRESS
  local name=$1 address=$2 t0 t drain stop start readiness pid
  [ "$(cat "$DIR/$name.release" 2>/dev/null)" = "$FROM" ] || die "$name does not run $FROM"
  running "$name" || die "$name is not running"
  pid=$(cat "$DIR/$name.pid")
  log "$name ($address): drain"
  t0=$(now)
  t=$t0
  kill -TERM "$pid"
  # The node answers 503 on /readyz at once and goes on serving for its drain period
  # (OPENPREP_DRAIN_SECONDS); a balancer that checks /readyz stops sending it work meanwhile.
  while ready "$address" && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  if [ -n "${BALANCER_OUT:-}" ]; then $BALANCER_OUT "$name" "$address"; fi
  while listening "$address" && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  drain=$(since "$t")
  t=$(now)
  log "$name: stop (requests in flight finish, the store closes)"
  wait_exit "$name"
  stop=$(since "$t")
  t=$(now)
  log "$name: start from $TO"
  start_node "$name" "$address" "$TO"
  wait_listening "$address" "$name"
  start=$(since "$t")
  t=$(now)
  wait_ready "$address" "$name"
  if [ -n "${BALANCER_IN:-}" ]; then $BALANCER_IN "$name" "$address"; fi
  readiness=$(since "$t")
  log "$name: ready on $TO"
  NODE_TIMINGS+=("$(jq -cn --arg name "$name" --argjson drain "$drain" --argjson stop "$stop" \
    --argjson start "$start" --argjson ready "$readiness" --argjson total "$(since "$t0")" \
    '{name: $name, drain: $drain, stop: $stop, start: $start, ready: $ready, total: $total}')")
}

upgrade_builder() { # NAME
  local name=$1 t0 t stop start
  [ "$(cat "$DIR/$name.release" 2>/dev/null)" = "$FROM" ] || die "$name does not run $FROM"
  running "$name" || die "$name is not running"
  log "$name: stop (finishes the cut it builds, gives the lease back)"
  t0=$(now)
  kill -TERM "$(cat "$DIR/$name.pid")"
  wait_exit "$name"
  stop=$(since "$t0")
  t=$(now)
  log "$name: start from $TO"
  local lines=0
  if [ -f "$DIR/$name.log" ]; then lines=$(wc -l <"$DIR/$name.log"); fi
  start_builder "$name" "$TO"
  # Started: it says whether it leads or stands by.
  local deadline=$((SECONDS + READY_TIMEOUT))
  until tail -n +"$((lines + 1))" "$DIR/$name.log" | grep -q 'builds the cuts'; do
    running "$name" || die "$name exited while starting (see $DIR/$name.log)"
    [ $SECONDS -lt $deadline ] || die "$name did not start in ${READY_TIMEOUT} s"
    sleep 0.1
  done
  start=$(since "$t")
  BUILDER_TIMINGS+=("$(jq -cn --arg name "$name" --argjson stop "$stop" --argjson start "$start" \
    --argjson total "$(since "$t0")" '{name: $name, stop: $stop, start: $start, total: $total}')")
}

# --- the actions -----------------------------------------------------------------------------

case $ACTION in
start)
  for line in "${NODES[@]}"; do
    read -r name address <<<"$line"
    running "$name" && die "$name is already running"
    start_node "$name" "$address" "$TO"
    wait_ready "$address" "$name"
    log "$name: ready on $TO"
  done
  for name in "${BUILDERS[@]}"; do
    running "$name" && die "$name is already running"
    start_builder "$name" "$TO"
  done
  exit 0
  ;;
stop)
  for name in "${BUILDERS[@]}"; do
    if running "$name"; then kill -TERM "$(cat "$DIR/$name.pid")" && wait_exit "$name"; fi
  done
  for line in "${NODES[@]}"; do
    read -r name _ <<<"$line"
    if running "$name"; then kill -TERM "$(cat "$DIR/$name.pid")" && wait_exit "$name"; fi
  done
  exit 0
  ;;
esac

[ "$FROM" != "$TO" ] || refuse "FROM and TO are the same folder"
check_schema
LOG_START=0
if [ -n "${ACCESS_LOG:-}" ] && [ -f "$ACCESS_LOG" ]; then LOG_START=$(wc -l <"$ACCESS_LOG"); fi
T0=$(now)
ORDER=("${NODES[@]}")
if [ "$ACTION" = rollback ]; then
  ORDER=()
  for ((i = ${#NODES[@]} - 1; i >= 0; i--)); do ORDER+=("${NODES[$i]}"); done
fi
for line in "${ORDER[@]}"; do
  read -r name address <<<"$line"
  upgrade_node "$name" "$address"
done
for name in "${BUILDERS[@]}"; do upgrade_builder "$name"; done
TOTAL=$(since "$T0")
SCHEMA_AFTER=$(openprep "$TO" schema --json | jq -r '.database.version')

ANSWERED_5XX=null
RETRIED=null
if [ -n "${ACCESS_LOG:-}" ] && [ -f "$ACCESS_LOG" ]; then
  # '$status $upstream_status': "201 502, 201" is a request nginx passed to a second node.
  ANSWERED_5XX=$(tail -n +"$((LOG_START + 1))" "$ACCESS_LOG" | awk '$1 >= 500 { n++ } END { print n + 0 }')
  RETRIED=$(tail -n +"$((LOG_START + 1))" "$ACCESS_LOG" | awk 'index($0, ",") { n++ } END { print n + 0 }')
fi
log "done in ${TOTAL} s"
jq -cn --arg action "$ACTION" --arg from "$FROM" --arg to "$TO" --argjson total "$TOTAL" \
  --argjson schemaBefore "$SCHEMA_BEFORE" --argjson schemaAfter "$SCHEMA_AFTER" \
  --argjson nodes "[$(IFS=,; echo "${NODE_TIMINGS[*]}")]" \
  --argjson builders "[$(IFS=,; echo "${BUILDER_TIMINGS[*]:-}")]" \
  --argjson answered5xx "$ANSWERED_5XX" --argjson retried "$RETRIED" \
  '{action: $action, from: $from, to: $to, schemaBefore: $schemaBefore, schemaAfter: $schemaAfter,
    seconds: $total, nodes: $nodes, builders: $builders,
    balancer: {answered5xx: $answered5xx, retriedOnAnotherNode: $retried}}'

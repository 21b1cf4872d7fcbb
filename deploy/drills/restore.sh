#!/usr/bin/env bash
# The restore drill (docs/deployment.md, "Restore"): a PostgreSQL point-in-time restore of the
# election's database into a FRESH cluster, then the checks that it is the published history.
#
#   restore.sh base-backup --source URL --out DIR
#       pg_basebackup of the running cluster into DIR (plain format, WAL included), and the
#       time it took (DIR/openprep-base-backup.json). Run on a schedule (docs: "how often").
#
#   restore.sh restore --base DIR --wal-archive DIR --target-time TIME --work DIR \
#                      --data DIR --schema NAME [--cut DIR] [--database NAME] [--port N]
#                      [--switch-wal URL] [--keep]
#       1. copies the base backup into WORK/pgdata (a new cluster: nothing of the old one is
#          reused but its backup and its WAL archive);
#       2. sets restore_command (from the WAL archive), recovery_target_time, recovery.signal,
#          archiving off and its own port and socket, and starts it: PostgreSQL replays the WAL
#          up to TIME and is promoted;
#       3. openprep journal verify on the restored database, with the center's data folder
#          (its election key and signer-state.json, the last checkpoint the center signed) and
#          --cut (the last published cut, by default the one DATA/cuts/latest.json names: its
#          signed checkpoint must be a prefix of the restored journal) and --images (every image of record is in the object store the
#          OPENPREP_S3_* / OPENPREP_IMAGE_STORE variables name, and hashes to its name);
#       4. openprep verify on the cut itself;
#       5. prints the timings as one JSON line (base_backup_s, restore_s: the copy, replay_s:
#          start to promoted, verify_s: journal verify --cut, images_s: journal verify
#          --images, cut_verify_s: openprep verify), then stops the restored cluster (unless
#          --keep).
#
# Runs as root (PostgreSQL's commands as the postgres user, through runuser) or as the user
# that owns the clusters. The restored cluster listens on 127.0.0.1 only, with the backup's
# own pg_hba.conf (a loopback-trust one when the backup has none, as on Debian): where that
# asks for a password, give it as PGPASSWORD (libpq and openprep both read it). PGBIN: PostgreSQL's binaries (default: the newest
# /usr/lib/postgresql/*/bin). OPENPREP: how to run openprep (default: this checkout's pinned
# Node on bin/openprep.js).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
OPENPREP="${OPENPREP:-$REPO/node_modules/.bin/node $REPO/bin/openprep.js}"

say() { printf 'restore.sh: %s\n' "$*" >&2; }
# PostgreSQL's own reasons, from the restored cluster's log.
why() { grep -E 'FATAL|PANIC' "$1" 2>/dev/null | sed 's/^/  /' | tail -3 >&2 || true; }
die() { say "$*"; exit 1; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# PostgreSQL's commands run as the user that owns the cluster.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ -x "$PGBIN/pg_ctl" ] || die "no PostgreSQL binaries in '$PGBIN' (set PGBIN)"

base_backup() {
  local source="" out=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --source) source="$2"; shift 2 ;;
      --out) out="$2"; shift 2 ;;
      *) die "base-backup: unknown option $1" ;;
    esac
  done
  [ -n "$source" ] && [ -n "$out" ] || die "base-backup needs --source URL --out DIR"
  [ ! -e "$out" ] || die "base-backup: $out exists: each base backup goes to a new folder"
  mkdir -p "$(dirname "$out")"
  local started ended
  started=$(now)
  # Plain format, the WAL needed for consistency streamed alongside, checkpoint at once.
  as_pg "$PGBIN/pg_basebackup" -d "$source" -D "$out" -Fp -X stream -c fast --no-password
  ended=$(now)
  printf '{"base_backup_s":%s,"taken_at":"%s"}\n' "$(seconds "$started" "$ended")" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$out/openprep-base-backup.json"
  say "base backup in $out ($(seconds "$started" "$ended") s)"
}

restore() {
  local base="" archive="" target="" work="" data="" schema="" cut="" database="postgres"
  local port="" switch_wal="" keep=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --base) base="$2"; shift 2 ;;
      --wal-archive) archive="$2"; shift 2 ;;
      --target-time) target="$2"; shift 2 ;;
      --work) work="$2"; shift 2 ;;
      --data) data="$2"; shift 2 ;;
      --schema) schema="$2"; shift 2 ;;
      --cut) cut="$2"; shift 2 ;;
      --database) database="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --switch-wal) switch_wal="$2"; shift 2 ;;
      --keep) keep=1; shift ;;
      *) die "restore: unknown option $1" ;;
    esac
  done
  for required in base archive target work data schema; do
    [ -n "${!required}" ] || die "restore needs --${required//_/-}"
  done
  if [ -z "$cut" ]; then
    # The last published cut: the one the signed pointer names.
    local latest
    latest=$(sed -n 's/.*"cut": *"\([^"]*\)".*/\1/p' "$data/cuts/latest.json" 2>/dev/null || true)
    [ -n "$latest" ] || die "no --cut, and no $data/cuts/latest.json naming the last cut"
    cut="$data/cuts/$latest"
  fi
  [ -f "$base/PG_VERSION" ] || die "$base is not a base backup (no PG_VERSION)"
  [ -f "$cut/manifest.json" ] || die "$cut is not a cut folder (no manifest.json)"
  port="${port:-$((20000 + RANDOM % 20000))}"
  pgdata="$work/pgdata"   # global: the EXIT trap stops this cluster
  [ ! -e "$pgdata" ] || die "$pgdata exists: restore into a new, empty work folder"

  if [ -n "$switch_wal" ]; then
    # The primary is still up (a drill): close the current WAL segment so that the archive
    # holds everything up to now, and wait until it is archived.
    local segment
    segment=$(as_pg "$PGBIN/psql" -X -Atq -d "$switch_wal" -c "SELECT pg_walfile_name(pg_switch_wal())")
    for _ in $(seq 1 600); do
      [ -f "$archive/$segment" ] && break
      sleep 0.1
    done
    [ -f "$archive/$segment" ] || die "WAL segment $segment did not reach the archive $archive"
  fi

  # 1. A fresh cluster from the base backup.
  local started restored replayed verified
  started=$(now)
  mkdir -p "$work"
  [ "$(id -u)" != 0 ] || chown postgres: "$work"
  as_pg mkdir -m 700 "$pgdata"
  as_pg cp -a "$base/." "$pgdata/"
  rm -f "$pgdata/openprep-base-backup.json" "$pgdata/postmaster.pid"
  restored=$(now)

  # 2. Point-in-time recovery. A Debian cluster keeps postgresql.conf and pg_hba.conf in /etc,
  # outside the backup: the drill's cluster then gets minimal ones (loopback, trust).
  [ -f "$pgdata/postgresql.conf" ] || as_pg touch "$pgdata/postgresql.conf"
  if [ ! -f "$pgdata/pg_hba.conf" ]; then
    as_pg sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > '$pgdata/pg_hba.conf'"
  fi
  as_pg sh -c "cat >> '$pgdata/postgresql.auto.conf'" <<CONF
# restore drill ($(date -u +%Y-%m-%dT%H:%M:%SZ))
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
archive_mode = off
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
  as_pg touch "$pgdata/recovery.signal"
  stop() { as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true; }
  [ "$keep" = 1 ] || trap stop EXIT
  as_pg "$PGBIN/pg_ctl" -D "$pgdata" -l "$work/postgresql.log" -w -t 3600 start >/dev/null \
    || { why "$work/postgresql.log"; die "the restored cluster did not start; its log: $work/postgresql.log"; }
  local url="postgresql://postgres@127.0.0.1:$port/$database"
  local state=""
  for _ in $(seq 1 36000); do
    state=$(as_pg "$PGBIN/psql" -X -Atq -d "$url" -c "SELECT pg_is_in_recovery()" 2>/dev/null || true)
    [ "$state" = f ] && break
    as_pg "$PGBIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1 \
      || { why "$work/postgresql.log"; die "the restored cluster stopped during recovery; its log: $work/postgresql.log"; }
    sleep 0.1
  done
  [ "$state" = f ] || die "the restored cluster is still recovering; its log: $work/postgresql.log"
  grep -q "recovery stopping before" "$work/postgresql.log" \
    || die "recovery did not stop at $target (no commit after it in the archive?); its log: $work/postgresql.log"
  replayed=$(now)
  say "restored to $target: $(grep -o 'recovery stopping before.*' "$work/postgresql.log" | head -1)"

  # 3-4. The restored history against what the center signed and what the public saw.
  local key imaged cut_verified
  key=$(ls "$data"/keys/*.pub | head -1)
  DATABASE_URL="$url" OPENPREP_DATABASE_SCHEMA="$schema" \
    $OPENPREP journal verify --data "$data" --cut "$cut" | tee "$work/journal-verify.txt" >&2
  verified=$(now)
  # The images: a second run (its journal checks again, then every image the store names).
  DATABASE_URL="$url" OPENPREP_DATABASE_SCHEMA="$schema" \
    $OPENPREP journal verify --data "$data" --images | grep '^images OK' >&2
  imaged=$(now)
  $OPENPREP verify "$cut" --key "$key" >/dev/null || die "openprep verify refused the cut $cut"
  cut_verified=$(now)
  local entries
  entries=$(sed -n 's/^journal OK: \([0-9]*\) entries.*/\1/p' "$work/journal-verify.txt")

  # 5. The timings.
  local base_s="null"
  if [ -f "$base/openprep-base-backup.json" ]; then
    base_s=$(sed -n 's/.*"base_backup_s":\([0-9.]*\).*/\1/p' "$base/openprep-base-backup.json")
  fi
  printf '{"base_backup_s":%s,"restore_s":%s,"replay_s":%s,"verify_s":%s,"images_s":%s,"cut_verify_s":%s,"journal_entries":%s,"cut":"%s","target_time":"%s","port":%s}\n' \
    "$base_s" "$(seconds "$started" "$restored")" "$(seconds "$restored" "$replayed")" \
    "$(seconds "$replayed" "$verified")" "$(seconds "$verified" "$imaged")" \
    "$(seconds "$imaged" "$cut_verified")" "${entries:-null}" "$(basename "$cut")" "$target" "$port"
}

case "${1:-}" in
  base-backup) shift; base_backup "$@" ;;
  restore) shift; restore "$@" ;;
  *) die "usage: restore.sh base-backup --source URL --out DIR | restore --base DIR --wal-archive DIR --target-time TIME --work DIR --data DIR --schema NAME [--cut DIR] [--database NAME] [--port N] [--switch-wal URL] [--keep]" ;;
esac

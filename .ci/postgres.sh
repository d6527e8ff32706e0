#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the storage tests and print the variable that points at it.
#
#   eval "$(.ci/postgres.sh)"        # installs PostgreSQL if missing, starts it, exports DATABASE_TEST_URL
#   .ci/postgres.sh stop             # stops it again
#
# It installs the Debian packages with apt-get when no PostgreSQL server is on the machine, runs the server as the
# unprivileged `postgres` user (PostgreSQL refuses to run as root), listens on 127.0.0.1 only, on a free port, with
# trust authentication (the server is throwaway and local), and creates the database `physio_test`. Running it again
# while its server is up reuses that server. Progress goes to standard error; standard output carries only the
# `export DATABASE_TEST_URL=...` line, so `eval` is safe.
set -euo pipefail

BASE="${PG_TEST_DIR:-${TMPDIR:-/tmp}/physio-career-postgres}"
DATA="$BASE/data"
LOG="$BASE/server.log"
DB="physio_test"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root (or sudo) to run: $*"; fi
}

find_bindir() {
    local dir
    # Debian keeps the server programs under /usr/lib/postgresql/<version>/bin; take the newest.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
    done
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
    fi
    return 1
}

BIN="$(find_bindir || true)"

if [ "${1:-}" = "stop" ]; then
    if [ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ]; then
        run_as=(); [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
        "${run_as[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
    fi
    say "stopped"
    exit 0
fi

if [ -z "$BIN" ]; then
    say "no PostgreSQL server found: installing the Debian packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN="$(find_bindir)" || die "PostgreSQL was installed but pg_ctl and initdb cannot be found"
fi

# PostgreSQL will not run as root: run it as `postgres` (the Debian packages create that user).
RUN=()
OWNER="$(id -un)"
if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
    RUN=(runuser -u postgres --)
    OWNER=postgres
fi

pg() { "${RUN[@]}" "$@"; }

url_for() { echo "postgresql://postgres@127.0.0.1:$1/$DB"; }

# Already running from an earlier call? Reuse it.
if [ -f "$BASE/port" ] && pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    PORT="$(cat "$BASE/port")"
    if pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U postgres 2>/dev/null; then
        say "reusing the server on port $PORT ($DATA)"
        echo "export DATABASE_TEST_URL=$(url_for "$PORT")"
        exit 0
    fi
    pg "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >&2 || true
fi

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for _ in $(seq 1 50); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
    die "cannot find a free port"
}

rm -rf "$BASE"
mkdir -p "$BASE"
chown "$OWNER" "$BASE"
chmod 700 "$BASE"
PORT="$(free_port)"

say "initialising a throwaway cluster in $DATA"
pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
    || pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

say "starting the server on 127.0.0.1:$PORT"
pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >&2 || { cat "$LOG" >&2 || true; die "the server did not start"; }
echo "$PORT" >"$BASE/port"

pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
say "ready: database $DB"
echo "export DATABASE_TEST_URL=$(url_for "$PORT")"

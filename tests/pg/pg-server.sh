#!/bin/sh
# pg-server.sh - start and stop a throw-away PostgreSQL server for the tests
# SPDX-License-Identifier: MIT
#
# usage: pg-server.sh start DIR   -> prints the URI (postgresql://mxdiag@127.0.0.1:PORT/postgres)
#        pg-server.sh stop DIR
#
# The server runs from Debian's postgresql package (/usr/lib/postgresql/<ver>/bin), in DIR, on a
# free loopback port, with trust authentication for loopback only, the C collation (so that
# ORDER BY sorts bytes, as SQLite does) and UTF-8. PostgreSQL refuses to run as root: as root
# the server runs as the unprivileged user `postgres` (the package creates it), else as the
# caller. Exit 77 (skip) with a line on stderr when no server can be started. fsync is off
# (a test server: nothing to keep across a power loss) unless PG_FSYNC=on (bench/fleet).
set -u
CMD=$1
DIR=$2
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "pg-server: no PostgreSQL server installed (Debian package postgresql)" >&2
    exit 77
fi
as_user() {
    if [ "$(id -u)" = 0 ]; then
        if ! id postgres > /dev/null 2>&1; then
            echo "pg-server: running as root and there is no user postgres to run the server" >&2
            exit 77
        fi
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case $CMD in
start)
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$DIR" 2>/dev/null || exit 77
        chmod 755 "$DIR"
        # the server must be able to reach DIR
        d=$(dirname "$DIR")
        while [ "$d" != / ]; do
            chmod o+x "$d" 2>/dev/null
            d=$(dirname "$d")
        done
    fi
    as_user "$BIN/initdb" -D "$DIR/data" -A trust -U mxdiag -E UTF8 --locale=C \
        > "$DIR/initdb.log" 2>&1 || {
        echo "pg-server: initdb failed (see $DIR/initdb.log)" >&2
        tail -3 "$DIR/initdb.log" >&2
        exit 77
    }
    for try in 1 2 3 4 5; do
        PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        if as_user "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
            -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=60" \
            start > /dev/null 2>&1; then
            echo "$PORT" > "$DIR/port"
            echo "postgresql://mxdiag@127.0.0.1:$PORT/postgres"
            exit 0
        fi
    done
    echo "pg-server: the server did not start (see $DIR/server.log)" >&2
    tail -3 "$DIR/server.log" >&2
    exit 77
    ;;
stop)
    [ -d "$DIR/data" ] && as_user "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop > /dev/null 2>&1
    exit 0
    ;;
esac
echo "usage: pg-server.sh start|stop DIR" >&2
exit 64

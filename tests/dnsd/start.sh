# start.sh - start and stop the test DNS server from a shell script (sourced, not run)
# SPDX-License-Identifier: MIT
#
# usage:  . "$SRC/tests/dnsd/start.sh"
#         dnsd_start DIR [dnsd.py arguments: --zone F ... --delay MS --verbose]
#         ... "$DNSD" is 127.0.0.1:PORT ...
#         dnsd_stop
# dnsd_start runs tests/dnsd/dnsd.py with /usr/bin/python3 on a free port of 127.0.0.1 (the
# port file and its error output go to DIR), waits up to 10 s for it and sets DNSD (the
# address) and DNSD_PID. It returns 1, with the server's error output on stderr, when the
# server does not come up. dnsd_stop stops it (also safe when none runs); a script's trap
# on EXIT should call it.

DNSD=""
DNSD_PID=""

dnsd_start() {
    _dir=$1
    shift
    rm -f "$_dir/port"
    /usr/bin/python3 "$SRC/tests/dnsd/dnsd.py" "$@" --port 0 --port-file "$_dir/port" \
        >/dev/null 2>"$_dir/dnsd.err" &
    DNSD_PID=$!
    _n=0
    while [ ! -s "$_dir/port" ] && [ $_n -lt 200 ]; do
        sleep 0.05
        _n=$((_n + 1))
    done
    if [ ! -s "$_dir/port" ]; then
        cat "$_dir/dnsd.err" >&2
        return 1
    fi
    DNSD=127.0.0.1:$(cat "$_dir/port")
}

dnsd_stop() {
    if [ -n "$DNSD_PID" ]; then
        kill "$DNSD_PID" 2>/dev/null && wait "$DNSD_PID" 2>/dev/null
    fi
    DNSD_PID=""
    return 0
}

#!/bin/sh
# bounce-metamorphic.sh - `mxdiag bounce` gives the same records for a bounce however a mail
# path changed it on the way (CR LF, an mbox, more header fields, a gateway's subject tag and
# warning banner, lower-case field names, a person forwarding it as an attachment): see
# bounce-metamorphic.py for the transforms and what is compared.
# SPDX-License-Identifier: MIT
#
# usage: bounce-metamorphic.sh MXDIAG [-v]
# Over the repository's bounce fixtures and, when ../shared is beside the project, the shared
# corpus: a difference fails, except in the held halves of the split corpora (the real
# corpora under tests/fixtures/bounces/real and the shared one), which are counted only.
# Deterministic: no transform is random.
set -u
BIN=$1
VERBOSE=${2:-}
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
set -- --split "$SRC/tests/fixtures/bounces/real" "$SRC/tests/fixtures/bounces"
if [ -d "$SHARED/corpus/bounces/maildir" ]; then
    set -- --split "$SHARED/corpus/bounces/maildir" "$@" "$SHARED/corpus/bounces/maildir"
else
    echo "note: $SHARED/corpus/bounces/maildir is absent: the fixtures only"
fi
/usr/bin/python3 "$(dirname "$0")/bounce-metamorphic.py" "$BIN" "$TMP" $VERBOSE "$@"

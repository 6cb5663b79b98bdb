#!/bin/sh
# spf-conformance.sh - the RFC 7208 SPF test suite (../shared/conformance/spf) against mxdiag
# SPDX-License-Identifier: MIT
#
# usage: spf-conformance.sh MXDIAG_BINARY   (exit 0 all passed, 1 failures, 77 skipped)
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
SUITE=$SHARED/conformance/spf/rfc7208-tests.yml
if [ ! -f "$SUITE" ]; then
    echo "SKIP: $SUITE is absent (the SPF conformance suite lives in ../shared)"
    exit 77
fi
if ! /usr/bin/python3 -c 'import yaml, dnslib' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks python3-yaml or python3-dnslib (scripts/install-deps)"
    exit 77
fi
exec /usr/bin/python3 "$SRC/tests/conformance/spf/run.py" "$BIN" "$SUITE"

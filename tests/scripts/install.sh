#!/bin/sh
# install.sh - `make install` puts the library, headers, pkg-config file, tool and man pages in
# place (mxdiag(1), mxdiag-json(5)), and a program built against the installed library
# classifies a reply.
# SPDX-License-Identifier: MIT
set -eu
BIN=$1
BUILD=${MXD_BUILD_DIR:?}
SRC=${MXD_SOURCE_DIR:?}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
for f in bin/mxdiag include/mxdiag/mxdiag.h include/mxdiag/version.h share/man/man1/mxdiag.1 share/man/man5/mxdiag-json.5; do
    [ -e "$TMP/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$TMP/prefix" -name mxdiag.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: mxdiag.pc not installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
ls "$libdir"/libmxdiag.so* "$libdir"/libmxdiag.a >/dev/null
cat >"$TMP/t.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
int main(void)
{
    mxd_kb *kb;
    mxd_explanation *x;
    const char *t = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown";
    if (mxd_kb_open(&kb) || mxd_explain(kb, t, strlen(t), NULL, &x))
        return 1;
    printf("%s %s %s\n", x->status, x->reason, mxd_version());
    mxd_explanation_free(x);
    mxd_kb_free(kb);
    return 0;
}
C
# the installed pkg-config file must be usable as it is (prefix rewritten for the test)
sed "s|^prefix=.*|prefix=$TMP/prefix|" "$pc" >"$TMP/mxdiag.pc"
flags=$(PKG_CONFIG_PATH=$TMP pkg-config --cflags --libs mxdiag)
# the same compiler as the library, and its sanitizers when the build has them
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
san=""
grep -q '^MXD_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086
${CC:-cc} $san -o "$TMP/t" "$TMP/t.c" -I"$TMP/prefix/include" -L"$libdir" $flags \
    -Wl,-rpath,"$libdir"
out=$("$TMP/t")
case "$out" in
"5.1.1 userunknown "*) echo "PASS: $out" ;;
*) echo "FAIL: got '$out'"; exit 1 ;;
esac
"$TMP/prefix/bin/mxdiag" --version

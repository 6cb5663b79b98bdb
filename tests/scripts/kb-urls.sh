#!/bin/sh
# kb-urls.sh - every URL of data/*.txt and data/*.tsv on a host named in data/url-patterns.list
# has one of that host's known-good forms (issue 12: Learn pages under /exchange/troubleshoot/,
# SNDS/JMRP at substrate.office.com, Yahoo's sender support form)
# SPDX-License-Identifier: MIT
#
# usage: kb-urls.sh [MXDIAG]   (the binary is not used)
set -u
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LIST=$SRC/data/url-patterns.list
[ -r "$LIST" ] || { echo "missing $LIST"; exit 1; }
# URLs, one per line: "file:line<TAB>url"
grep -noE "https?://[^] )\"'>,;<	]+" "$SRC"/data/*.txt "$SRC"/data/*.tsv |
    sed -E 's#^(.*/)?([^/:]+:[0-9]+):#\2\t#' |
    awk -F'\t' -v list="$LIST" '
    function glob(s, p,    re) {
        re = p
        gsub(/[.?+()|{}\[\]^$\\]/, "\\\\&", re)
        gsub(/\*/, ".*", re)
        return s ~ ("^" re "$")
    }
    BEGIN {
        while ((getline l < list) > 0) {
            if (l ~ /^#/ || l == "") continue
            split(l, f, "\t")
            n[f[1]]++
            pat[f[1], n[f[1]]] = f[2]
        }
    }
    {
        u = $2
        sub(/[.]$/, "", u)
        host = u
        sub(/^https?:\/\//, "", host)
        sub(/[\/?#].*$/, "", host)
        if (!(host in n)) next
        ok = 0
        for (i = 1; i <= n[host] && !ok; i++) ok = glob(u, pat[host, i])
        if (!ok) { printf "%s: %s matches no known-good form of %s\n", $1, u, host; bad++ }
        checked++
    }
    END {
        printf "%d URLs on listed hosts checked, %d bad\n", checked, bad
        exit bad ? 1 : 0
    }'

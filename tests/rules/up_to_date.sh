#!/bin/sh
# SPDX-License-Identifier: MIT
# rules.up_to_date: the committed rendered files equal a fresh render of their jsonnet
# sources (packaging/scripts/render-bundle.sh into a temp dir, then diff): fails when someone
# edits a source without re-rendering, or edits a rendered file by hand.
test_name=rules.up_to_date
# shellcheck source=tests/rules/lib.sh
. "$(dirname "$0")/lib.sh"
need jsonnet
cd "$repo_root"

packaging/scripts/render-bundle.sh "$tmp"

rendered=$(cd "$tmp" && find alerts dashboards -type f 2>/dev/null | sort)
[ -n "$rendered" ] || fail "render-bundle.sh rendered nothing"
stale=0
for f in $rendered; do
    if ! diff -u "$f" "$tmp/$f"; then
        stale=1
    fi
done
[ "$stale" = 0 ] || fail "rendered files differ from their sources (diff above: committed vs fresh); run packaging/scripts/render-bundle.sh and commit"
echo "rules.up_to_date: ok ($(echo "$rendered" | wc -l) files)"

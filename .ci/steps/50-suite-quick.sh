#!/usr/bin/env bash
# The main job, cut down (issue 6): `stratbench suite --quick` into a fresh
# folder must finish, write results.jsonl, results.txt and the report, and
# every file the report names must exist.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/stratbench" ./cmd/stratbench
start=$(date +%s)
"$out/stratbench" suite --quick --out "$out/report"
echo "suite --quick took $(( $(date +%s) - start ))s"

for f in results.jsonl results.txt index.html; do
	test -s "$out/report/$f" || { echo "missing or empty: $f" >&2; exit 1; }
done
missing=0
while IFS= read -r link; do
	case "$link" in
	data:* | \#* | "") continue ;;
	*://*) echo "index.html links outside the folder: $link" >&2; missing=1 ;;
	*) [ -e "$out/report/$link" ] || { echo "index.html names $link, which was not written" >&2; missing=1; } ;;
	esac
done < <(grep -oE '(href|src)="[^"]*"' "$out/report/index.html" | sed -E 's/^(href|src)="//; s/"$//')
[ "$missing" -eq 0 ]
echo "report: $(grep -o '<svg class="chart"' "$out/report/index.html" | wc -l) charts, $(wc -l < "$out/report/results.jsonl") results, every named file present"

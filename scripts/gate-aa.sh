#!/usr/bin/env bash
# gate-aa.sh: how often does the CI gate of `stratbench compare` in interleaved mode fail on two
# identical builds (A/A false alarms), and how often does it catch a build that is really 10%
# slower (A/B detections)?
#
#   scripts/gate-aa.sh [PAIRS]          # default 20 pairs: 20 A/A gate runs and 20 A/B gate runs
#
# From the committed HEAD (git archive, so that uncommitted edits cannot leak in) it builds
# stratbench and two test binaries of the root benchmarks: A as committed, and B whose
# primesSieve (workloads/kernels/primes.go) sieves 9.5% past n: the same answer, about 10% more
# time (the measured change is in each run's output and summary.txt).
# Then, PAIRS times, one A/A gate run (A against A) and one A/B gate run (A against B), in
# turn so that both see the same machine, each:
#
#   stratbench compare --rounds $ROUNDS --round-stat $STAT --fail-on-regression $THRESHOLD \
#     --old-cmd "A -test.bench $BENCH ..." --new-cmd "B (or A) -test.bench $BENCH ..."
#
# An A/A run that fails is a false alarm; an A/B run catches the slowdown when it fails naming
# primes/variant=sieve (a failure naming another benchmark is a false alarm too). Every gate
# run's output, and summary.txt, go to $OUT. Settings (environment): OUT (out/gate-aa), ROUNDS
# (20), COUNT (40 samples a run), BENCHTIME (5x), STAT (best), THRESHOLD (5%), BENCH (below).
# The measuring runs are not niced: they are timing-sensitive. A gate run takes about 15 s on a
# quiet 2-core machine and up to two minutes under heavy load; the script, PAIRS × 2 of them.
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${1:-20}
OUT=${OUT:-out/gate-aa}
ROUNDS=${ROUNDS:-20}
COUNT=${COUNT:-40}
BENCHTIME=${BENCHTIME:-5x}
STAT=${STAT:-best}
THRESHOLD=${THRESHOLD:-5%}
BENCH=${BENCH:-'Kernels/family=(primes|substr|apply)/variant=(sieve|bitsieve|naive|item|slice)'}
SLOWED='family=primes/variant=sieve/'

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/src-a" "$OUT/src-b" "$OUT/runs"
mkdir -p "$OUT/src-a" "$OUT/src-b" "$OUT/runs"
git archive HEAD | tar -x -C "$OUT/src-a"
git archive HEAD | tar -x -C "$OUT/src-b"

# B: primesSieve sieves to n + 9.5% and counts the primes below n only (about +10% time: the
# extra marking costs a little more per element than the rest).
primes="$OUT/src-b/workloads/kernels/primes.go"
awk '
/^func primesSieve\(n int\) int64 \{$/ { skip = 1
	print "func primesSieve(n int) int64 {"
	print "\tif n <= 2 {"
	print "\t\treturn 0"
	print "\t}"
	print "\t// scripts/gate-aa.sh: this build sieves 9.5% past n: the same count, about 10% more time."
	print "\tlimit := n + n*95/1000"
	print "\tcomposite := make([]bool, limit)"
	print "\tvar count int64"
	print "\tfor k := 2; k < limit; k++ {"
	print "\t\tif composite[k] {"
	print "\t\t\tcontinue"
	print "\t\t}"
	print "\t\tif k < n {"
	print "\t\t\tcount++"
	print "\t\t}"
	print "\t\tfor m := k * k; m < limit; m += k {"
	print "\t\t\tcomposite[m] = true"
	print "\t\t}"
	print "\t}"
	print "\treturn count"
	print "}"
	patched++
	next }
skip && /^}$/ { skip = 0; next }
skip { next }
{ print }
END { if (patched != 1) exit 1 }' "$primes" > "$primes.new" || { echo "gate-aa: could not patch primesSieve in $primes" >&2; exit 1; }
mv "$primes.new" "$primes"

echo "gate-aa: building stratbench and the test binaries of A and B" >&2
(cd "$OUT/src-a" && nice -n 10 go build -o "$OUT/stratbench" ./cmd/stratbench && nice -n 10 go test -c -o "$OUT/a.test" .)
(cd "$OUT/src-b" && nice -n 10 go test -c -o "$OUT/b.test" . && nice -n 10 go test -run 'TestTwinsAgree|TestKnownAnswers' ./workloads/kernels >/dev/null)

args="-test.run '^\$' -test.bench '$BENCH' -test.benchtime $BENCHTIME -test.count $COUNT"
A="$OUT/a.test $args"
B="$OUT/b.test $args"
commit=$(git rev-parse --short HEAD)
{
	echo "gate-aa: commit $commit, $(date -u +%FT%TZ), $(nproc) cores, $PAIRS pairs"
	echo "gate-aa: stratbench compare --rounds $ROUNDS --round-stat $STAT --fail-on-regression $THRESHOLD --old-cmd A --new-cmd A|B"
	echo "gate-aa: A = $A"
	echo "gate-aa: B = $B"
	echo "gate-aa: load before: $(uptime)"
} | tee "$OUT/summary.txt" >&2

aa_fail=0 ab_caught=0 ab_other=0
times=() slowdowns=()
for i in $(seq -w 1 "$PAIRS"); do
	for kind in aa ab; do
		new=$A
		[ $kind = ab ] && new=$B
		log="$OUT/runs/$kind-$i.txt"
		start=$(date +%s.%N)
		set +e
		"$OUT/stratbench" compare --rounds "$ROUNDS" --round-stat "$STAT" --fail-on-regression "$THRESHOLD" \
			--old-cmd "$A" --new-cmd "$new" --out "$OUT/runs/$kind-$i" >"$log" 2>&1
		code=$?
		set -e
		took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
		times+=("$took")
		if [ $code != 0 ] && ! grep -q '^stratbench: regression: ' "$log"; then
			echo "gate-aa: $kind pair $i: compare exited $code:" >&2
			tail -3 "$log" >&2
			exit 1
		fi
		verdict=pass
		if [ $code = 1 ]; then
			verdict=fail
			failed=$(sed -n '/^gate: [0-9]* of [0-9]* benchmarks regressed/,$p' "$log" | sed 1d | grep -c '^  ' || true)
			if [ $kind = aa ]; then
				aa_fail=$((aa_fail + 1))
			else
				if sed -n '/^gate: [0-9]* of [0-9]* benchmarks regressed/,$p' "$log" | grep -q "$SLOWED"; then
					ab_caught=$((ab_caught + 1))
					[ "$failed" -gt 1 ] && ab_other=$((ab_other + 1))
				else
					ab_other=$((ab_other + 1))
				fi
			fi
		fi
		est=$(grep -m1 "$SLOWED" <(sed -n '/^ns\/op/,/^$/p' "$log") | awk '{for (i=1;i<=NF;i++) if ($i ~ /^\[/) {print $(i-1), $i, $(i+1); exit}}')
		[ $kind = ab ] && case $est in [+-][0-9]*) slowdowns+=("${est%%\%*}") ;; esac
		printf 'gate-aa: %s %s: %s in %.0fs; sieve change %s; load %s\n' "$kind" "$i" "$verdict" "$took" "${est:-?}" \
			"$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/summary.txt" >&2
	done
done

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
longest=$(echo "$sorted" | tail -1)
{
	echo "gate-aa: load after: $(uptime)"
	echo "gate-aa: A/A false alarms: $aa_fail of $PAIRS"
	echo "gate-aa: A/B slowdown caught (primes/variant=sieve failed): $ab_caught of $PAIRS"
	echo "gate-aa: A/B runs that also or only failed another benchmark: $ab_other of $PAIRS"
	printf 'gate-aa: one gate run took %.0fs (median), %.0fs (longest)\n' "$median" "$longest"
	if [ ${#slowdowns[@]} -gt 0 ]; then
		printf 'gate-aa: B against A, sieve: median estimate %s%% over the %d A/B runs where it was significant\n' \
			"$(printf '%s\n' "${slowdowns[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" ${#slowdowns[@]}
	fi
} | tee -a "$OUT/summary.txt"

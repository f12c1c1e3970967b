#!/usr/bin/env bash
# Sweeps on a real batch engine (issue 18): a single-node Slurm, started here
# in the foreground without systemd (munged, slurmctld, slurmd, each stopped
# by its PID at the end), runs the script that `stratbench suite --emit slurm`
# prints, unchanged:
#   1. a quick suite in 4 array tasks and the dependent merge job: the merged
#      results must hold exactly the runs of an unsharded run of the same
#      suite and seed, with identical simulator figures;
#   2. a sweep with array task 2 killed mid-shard: Slurm cancels the merge job,
#      the merge's command names shard 2 as incomplete and refuses to report,
#      and resubmitting task 2 (bash sweep.sh 2) completes the sweep.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/sbin:/usr/bin
t0=$(date +%s)

need=()
for c in munged slurmctld slurmd sbatch jq; do command -v "$c" >/dev/null 2>&1 || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	# Keep the packages' services from starting (policy-rc.d 101: action
	# forbidden): this step starts its own daemons. Only a file we created
	# is removed.
	made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	$sudo apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
		slurmctld slurmd slurm-client munge jq >/dev/null </dev/null
	if [ -n "$made_policy" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
fi
echo "packages ready after $(( $(date +%s) - t0 ))s"

mkdir -p out
go build -o out/stratbench ./cmd/stratbench
bin=$PWD/out/stratbench

tmp=$(mktemp -d)
pids=()
stop() {
	local rc=$?
	# Jobs still queued or running (after a failure) are cancelled first, so
	# that no job process outlives the daemons.
	if [ -n "${SLURM_CONF:-}" ] && [ "${#pids[@]}" -ge 3 ]; then
		squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
		for i in $(seq 50); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.1; done
	fi
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "$rc" -ne 0 ]; then
		for f in "$tmp"/*.log "$tmp"/sweep*/logs/*; do
			[ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
		done
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap stop EXIT

# munge with its own key and socket, so that nothing of the machine's is used.
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 600 "$tmp/munge.key"
munged -F --force --key-file="$tmp/munge.key" --socket="$tmp/munge.socket" \
	--pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munge.seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)

node=$(hostname -s)
cat >"$tmp/slurm.conf" <<EOF
ClusterName=stratbench-ci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ReturnToService=2
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$tmp/state" "$tmp/spool"
export SLURM_CONF=$tmp/slurm.conf

for i in $(seq 50); do [ -S "$tmp/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
for i in $(seq 100); do
	state=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 0.3
done
[ "$state" = idle ] || { echo "slurm: node $node is '$state', not idle, after 30s" >&2; exit 1; }
echo "single-node Slurm up after $(( $(date +%s) - t0 ))s: $(sinfo -h -o '%P %D %c %t')"

# jobstate ID: the job's state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED...).
jobstate() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }
# waitjob ID: waits for the job to leave the queue, then prints its state.
waitjob() {
	local s
	for i in $(seq 600); do
		s=$(jobstate "$1")
		case "$s" in PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED) sleep 0.2 ;; *) echo "$s"; return ;; esac
	done
	echo "TIMEOUT($s)"
}
# submit ARRAYVAR MERGEVAR SCRIPT [ARGS]: runs the emitted script, sets the
# variables to the array and merge job ids it printed.
submit() {
	local out
	out=$(bash "${@:3}")
	echo "$out"
	read -r "$1" "$2" < <(sed -nE 's/^submitted array job ([0-9]+) .* merge job ([0-9]+),.*/\1 \2/p' <<<"$out")
	[ -n "${!2}" ] || { echo "the emitted script did not submit" >&2; exit 1; }
}

suite=examples/policies.yaml
# The simulator's figures, less what measures the machine (events_per_sec,
# wall_sec) and the environment: one line per record, sorted.
figures() { jq -cS 'select(.engine == "sim") | del(.env) | .metrics |= del(.events_per_sec, .wall_sec)' "$1" | sort; }
same_as_ref() {
	local n_ref n_got ref=${ref:-$tmp/ref}
	n_ref=$(jq -r .params.suite_run "$ref/results.jsonl" | sort -u | wc -l)
	n_got=$(jq -r .params.suite_run "$1" | sort -u | wc -l)
	[ "$(jq -c 'select(.engine != "sim")' "$1" | wc -l)" -eq 0 ] || { echo "$1 holds non-simulator records" >&2; return 1; }
	if ! diff <(figures "$ref/results.jsonl") <(figures "$1") >"$tmp/diff"; then
		echo "$1 differs from the unsharded run:" >&2
		head -c 3000 "$tmp/diff" >&2
		return 1
	fi
	echo "  $1: the same $n_got runs as the unsharded run ($n_ref), identical simulator figures"
}

"$bin" suite "$suite" --quick --quiet --out "$tmp/ref" >/dev/null

# 1. The whole sweep.
"$bin" suite "$suite" --quick --emit slurm --shards 4 --out "$tmp/sweep" --time 10m --bin "$bin" >"$tmp/sweep.sh"
start=$(date +%s)
submit array merge "$tmp/sweep.sh"
st=$(waitjob "$merge")
[ "$st" = COMPLETED ] || { echo "merge job $merge: $st, want COMPLETED" >&2; exit 1; }
for i in 0 1 2 3; do
	st=$(jobstate "${array}_$i")
	[ "$st" = COMPLETED ] || { echo "array task ${array}_$i: $st" >&2; exit 1; }
done
echo "1. array job $array (4 tasks) and merge job $merge completed in $(( $(date +%s) - start ))s"
same_as_ref "$tmp/sweep/all/results.jsonl"

# 2. Task 2 killed in the middle of its shard (SIGKILL, as the OOM killer or
# a lost node would), on a suite whose runs last long enough to aim at: 12
# runs, 3 a shard, about 0.4s each.
cat >"$tmp/kill.yaml" <<'EOF'
name: kill-test
seed: 3
cases:
  - name: long-runs
    type: queueing
    engine: sim
    policy: [random, jsq, p2c, lwl]
    servers: 10
    load: [0.5, 0.7, 0.9]
    jobs: 3000000
EOF
"$bin" suite "$tmp/kill.yaml" --quiet --out "$tmp/ref2" >/dev/null
"$bin" suite "$tmp/kill.yaml" --emit slurm --shards 4 --out "$tmp/sweep2" --time 10m --bin "$bin" >"$tmp/sweep2.sh"
submit array merge "$tmp/sweep2.sh"
for i in $(seq 1500); do
	[ -s "$tmp/sweep2/shard-2/results.jsonl" ] && break
	sleep 0.02
done
scancel --full --signal=KILL "${array}_2"
st=$(waitjob "${array}_2")
case "$st" in FAILED | CANCELLED) ;; *) echo "array task ${array}_2: $st after SIGKILL, want FAILED (did it finish before the kill?)" >&2; exit 1 ;; esac
for i in 0 1 3; do
	s=$(waitjob "${array}_$i")
	[ "$s" = COMPLETED ] || { echo "array task ${array}_$i: $s" >&2; exit 1; }
done
s=$(waitjob "$merge")
[ "$s" = CANCELLED ] || { echo "merge job $merge after a killed task: $s, want CANCELLED (its dependency can never be met)" >&2; exit 1; }
echo "2. task ${array}_2 killed mid-shard ($st, $(wc -l <"$tmp/sweep2/shard-2/results.jsonl") of 3 runs written); tasks 0, 1, 3 completed; Slurm cancelled merge job $merge"
# The merge's command, as the script names it, run by hand.
merge_cmd=$(sed -n 's/^exec \(.* report .*\)$/\1/p' "$tmp/sweep2.sh")
if eval "$merge_cmd" >"$tmp/merge.out" 2>&1; then
	echo "the merge reported a sweep with shard 2 incomplete:" >&2; cat "$tmp/merge.out" >&2; exit 1
fi
grep -q 'shard 2/4 of suite kill-test (.*, seed 3) incomplete' "$tmp/merge.out" || {
	echo "the merge's refusal does not name shard 2 as incomplete:" >&2; cat "$tmp/merge.out" >&2; exit 1
}
[ ! -e "$tmp/sweep2/all" ] || { echo "the refused merge wrote $tmp/sweep2/all" >&2; exit 1; }
echo "  the merge refuses: $(grep -m1 'incomplete' "$tmp/merge.out" | sed 's/^ *//')"
submit array2 merge2 "$tmp/sweep2.sh" 2
s=$(waitjob "$merge2")
[ "$s" = COMPLETED ] || { echo "merge job $merge2 after resubmitting task 2: $s" >&2; exit 1; }
log=$tmp/sweep2/logs/shard-2.$array2.out
grep -q ' [12] skipped' "$log" || { echo "the resubmitted task did not resume:" >&2; cat "$log" >&2; exit 1; }
echo "  resubmitted task 2 (job ${array2}_2) resumed: $(head -n 1 "$log"); merge job $merge2 completed"
ref=$tmp/ref2 same_as_ref "$tmp/sweep2/all/results.jsonl"

echo "slurm step took $(( $(date +%s) - t0 ))s"

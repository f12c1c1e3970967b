#!/bin/bash
# A stratbench sweep on Slurm: suite big-sweep (examples/big-sweep.yaml, seed 1), 120 runs,
# in 8 array tasks and a merge job. Emitted by:
#   stratbench suite examples/big-sweep.yaml --emit slurm --shards 8 --out results --time 4h0m0s --cpus 2
#
#   bash THIS_FILE          submit the sweep: an array job and a merge job
#   bash THIS_FILE 1,3      resubmit tasks 1 and 3 (they resume) and a new merge job
#
# Task i runs shard i/8 into results/shard-i, with --resume when that directory exists
# (a requeued task continues where it stopped). When every task has succeeded
# (afterok), the merge job writes the report into results/all. If a task fails, Slurm
# cancels the merge job; its command, run by hand, names the missing or
# incomplete shards:
#   stratbench report results/shard-{0..7}/results.jsonl --out results/all
# Logs go to results/logs/. Relative paths are from the directory you submit from, which
# every node must see (a shared file system), as it must the binary and the suite.
set -euo pipefail

tasks=${1:-0-7}
mkdir -p results/logs

array=$(sbatch --parsable --job-name=stratbench-big-sweep --array="$tasks" --requeue \
	--cpus-per-task=2 --time=04:00:00 --output=results/logs/shard-%a.%A.out <<'STRATBENCH_SHARD'
#!/bin/bash
set -euo pipefail
shard=$SLURM_ARRAY_TASK_ID
dir=results/shard-$shard
if [ -d "$dir" ]; then set -- --resume; else set --; fi
exec stratbench suite examples/big-sweep.yaml --seed 1 --shard "$shard/8" --out "$dir" --quiet "$@"
STRATBENCH_SHARD
)
array=${array%%;*}

merge=$(sbatch --parsable --job-name=stratbench-big-sweep-merge --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
	--cpus-per-task=2 --time=04:00:00 --output=results/logs/merge-%j.out <<'STRATBENCH_MERGE'
#!/bin/bash
set -euo pipefail
exec stratbench report results/shard-{0..7}/results.jsonl --out results/all
STRATBENCH_MERGE
)
merge=${merge%%;*}

echo "submitted array job $array (tasks $tasks of 0-7) and merge job $merge, which writes results/all"

#!/bin/bash
# A stratbench sweep on Slurm: suite policies (../examples/policies.yaml, seed 11), 74 runs,
# in 8 array tasks and a merge job. Emitted by:
#   stratbench suite ../examples/policies.yaml --seed 11 --emit slurm --shards 8 --out '/scratch/my sweep' --partition long --time 1h30m30s --cpus 2 --bin '/opt/strat bench/bin/stratbench'
#
#   bash THIS_FILE          submit the sweep: an array job and a merge job
#   bash THIS_FILE 1,3      resubmit tasks 1 and 3 (they resume) and a new merge job
#
# Task i runs shard i/8 into /scratch/my sweep/shard-i, with --resume when that directory exists
# (a requeued task continues where it stopped). When every task has succeeded
# (afterok), the merge job writes the report into /scratch/my sweep/all. If a task fails, Slurm
# cancels the merge job; its command, run by hand, names the missing or
# incomplete shards:
#   '/opt/strat bench/bin/stratbench' report '/scratch/my sweep'/shard-{0..7}/results.jsonl --out '/scratch/my sweep/all'
# Logs go to /scratch/my sweep/logs/. Relative paths are from the directory you submit from, which
# every node must see (a shared file system), as it must the binary and the suite.
set -euo pipefail

tasks=${1:-0-7}
mkdir -p '/scratch/my sweep/logs'

array=$(sbatch --parsable --job-name=stratbench-policies --array="$tasks" --requeue \
	--cpus-per-task=2 --time=01:30:30 --partition=long --output='/scratch/my sweep/logs/shard-%a.%A.out' <<'STRATBENCH_SHARD'
#!/bin/bash
set -euo pipefail
shard=$SLURM_ARRAY_TASK_ID
dir='/scratch/my sweep'/shard-$shard
if [ -d "$dir" ]; then set -- --resume; else set --; fi
exec '/opt/strat bench/bin/stratbench' suite ../examples/policies.yaml --seed 11 --shard "$shard/8" --out "$dir" --quiet "$@"
STRATBENCH_SHARD
)
array=${array%%;*}

merge=$(sbatch --parsable --job-name=stratbench-policies-merge --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
	--cpus-per-task=2 --time=01:30:30 --partition=long --output='/scratch/my sweep/logs/merge-%j.out' <<'STRATBENCH_MERGE'
#!/bin/bash
set -euo pipefail
exec '/opt/strat bench/bin/stratbench' report '/scratch/my sweep'/shard-{0..7}/results.jsonl --out '/scratch/my sweep/all'
STRATBENCH_MERGE
)
merge=${merge%%;*}

echo "submitted array job $array (tasks $tasks of 0-7) and merge job $merge, which writes /scratch/my sweep/all"

#!/bin/bash
# A stratbench sweep on Slurm: suite default (the built-in default suite, quick, seed 1), 41 runs,
# in 4 array tasks and a merge job. Emitted by:
#   stratbench suite --quick --emit slurm --shards 4 --out out/sweep
#
#   bash THIS_FILE          submit the sweep: an array job and a merge job
#   bash THIS_FILE 1,3      resubmit tasks 1 and 3 (they resume) and a new merge job
#
# Task i runs shard i/4 into out/sweep/shard-i, with --resume when that directory exists
# (a requeued task continues where it stopped). When every task has succeeded
# (afterok), the merge job writes the report into out/sweep/all. If a task fails, Slurm
# cancels the merge job; its command, run by hand, names the missing or
# incomplete shards:
#   stratbench report out/sweep/shard-{0..3}/results.jsonl --out out/sweep/all
# Logs go to out/sweep/logs/. Relative paths are from the directory you submit from, which
# every node must see (a shared file system), as it must the binary and the suite.
set -euo pipefail

tasks=${1:-0-3}
mkdir -p out/sweep/logs

array=$(sbatch --parsable --job-name=stratbench-default --array="$tasks" --requeue \
	--cpus-per-task=1 --output=out/sweep/logs/shard-%a.%A.out <<'STRATBENCH_SHARD'
#!/bin/bash
set -euo pipefail
shard=$SLURM_ARRAY_TASK_ID
dir=out/sweep/shard-$shard
if [ -d "$dir" ]; then set -- --resume; else set --; fi
exec stratbench suite --quick --seed 1 --shard "$shard/4" --out "$dir" --quiet "$@"
STRATBENCH_SHARD
)
array=${array%%;*}

merge=$(sbatch --parsable --job-name=stratbench-default-merge --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
	--cpus-per-task=1 --output=out/sweep/logs/merge-%j.out <<'STRATBENCH_MERGE'
#!/bin/bash
set -euo pipefail
exec stratbench report out/sweep/shard-{0..3}/results.jsonl --out out/sweep/all
STRATBENCH_MERGE
)
merge=${merge%%;*}

echo "submitted array job $array (tasks $tasks of 0-3) and merge job $merge, which writes out/sweep/all"

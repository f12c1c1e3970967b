package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
)

// Emitters are the batch systems EmitOptions.Emit names.
var Emitters = []string{"slurm", "k8s"}

// EmitOptions describe a sharded sweep to hand to a batch system.
type EmitOptions struct {
	// Emit is "slurm" or "k8s".
	Emit string
	// File is the suite file as given ("" for the embedded default suite);
	// Suite is its parsed content.
	File  string
	Suite *File
	// Quick applies the cases' quick overrides.
	Quick bool
	// Seed, when set, replaces the suite's seed.
	Seed *uint64
	// Shards is the number of shards (array tasks, indexed pods).
	Shards int
	// Out is the sweep's directory: shard i goes into Out/shard-i and the
	// merged report into Out/all. For k8s it is relative to the results
	// volume, mounted at /results.
	Out string
	// Bin is the stratbench binary the jobs run ("stratbench": on PATH).
	Bin string
	// Partition is the Slurm partition ("": the cluster's default).
	Partition string
	// Time limits each task or pod (0: the cluster's default; for k8s,
	// the merge then waits up to a day for the shards).
	Time time.Duration
	// CPUs is the number of CPUs of each task or pod.
	CPUs int
	// Image is the container image holding sh and Bin (k8s).
	Image string
}

// k8sResults is where pods mount the results volume.
const k8sResults = "/results"

// Emit writes the sweep for the batch system o.Emit names: a Slurm submit
// script (an array job of o.Shards tasks and a dependent merge job) or
// Kubernetes manifests (an indexed Job and a merge Job).
func Emit(w io.Writer, o EmitOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	var s string
	switch o.Emit {
	case "slurm":
		s = o.slurm()
	case "k8s":
		var err error
		if s, err = o.k8s(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, s)
	return err
}

func (o *EmitOptions) check() error {
	switch {
	case o.Emit != "slurm" && o.Emit != "k8s":
		return bad.Field("emit", ": want one of %s, got %q", strings.Join(Emitters, ", "), o.Emit)
	case o.Shards < 1:
		return bad.Field("emit", "needs {shards} N with N >= 1 (the number of array tasks or pods), got %d", o.Shards)
	case o.CPUs < 1:
		return bad.Field("cpus", ": want at least 1, got %d", o.CPUs)
	case o.Time < 0:
		return bad.Field("time", ": want a positive duration (as 2h or 90m), got %s", o.Time)
	case o.Bin == "":
		return bad.Field("bin", ": give the path of the stratbench binary the jobs run")
	case o.Out == "":
		return bad.Field("out", ": give the sweep's directory")
	}
	if runs := len(Expand(o.Suite, o.Quick, o.Seed)); o.Shards > runs {
		return bad.Field("shards", "%d: the suite has %s, so at most %d shards", o.Shards, plural(runs, "run"), runs)
	}
	if strings.ContainsAny(o.File, "\n\r\x00") {
		return bad.Inputf("suite file %q: a line break or NUL cannot go into a job script", o.File)
	}
	for name, v := range map[string]string{"out": o.Out, "bin": o.Bin, "partition": o.Partition, "image": o.Image} {
		if strings.ContainsAny(v, "\n\r\x00") {
			return bad.Field(name, "%q: a line break or NUL cannot go into a job script", v)
		}
	}
	if o.Emit == "slurm" && strings.Contains(o.Out, "%") {
		return bad.Field("out", "%q: Slurm reads %% in log paths as a pattern: choose a directory without it", o.Out)
	}
	if o.Emit == "k8s" {
		if o.Image == "" {
			return bad.Field("emit", "k8s needs {image}: a container image holding sh and the stratbench binary ({bin}: its path there; default stratbench on PATH)")
		}
		if path.IsAbs(o.Out) || strings.HasPrefix(path.Clean(o.Out), "..") {
			return bad.Field("out", "%q: for {emit} k8s give a directory inside the results volume (as sweep), which pods mount at %s", o.Out, k8sResults)
		}
	}
	return nil
}

// seed is the seed in effect.
func (o *EmitOptions) seed() uint64 {
	if o.Seed != nil {
		return *o.Seed
	}
	return o.Suite.Seed
}

// command is the stratbench command line that emits o, for the header.
func (o *EmitOptions) command() string {
	args := []string{"stratbench", "suite"}
	if o.File != "" {
		args = append(args, shq(o.File))
	}
	if o.Quick {
		args = append(args, "--quick")
	}
	if o.Seed != nil {
		args = append(args, "--seed", strconv.FormatUint(*o.Seed, 10))
	}
	args = append(args, "--emit", o.Emit, "--shards", strconv.Itoa(o.Shards), "--out", shq(o.Out))
	if o.Partition != "" {
		args = append(args, "--partition", shq(o.Partition))
	}
	if o.Time > 0 {
		args = append(args, "--time", o.Time.String())
	}
	if o.CPUs != 1 {
		args = append(args, "--cpus", strconv.Itoa(o.CPUs))
	}
	if o.Image != "" {
		args = append(args, "--image", shq(o.Image))
	}
	if o.Bin != "stratbench" {
		args = append(args, "--bin", shq(o.Bin))
	}
	return strings.Join(args, " ")
}

// about describes the sweep in one line for the header.
func (o *EmitOptions) about() string {
	file := o.File
	if file == "" {
		file = "the built-in default suite"
	}
	q := ""
	if o.Quick {
		q = ", quick"
	}
	return fmt.Sprintf("suite %s (%s%s, seed %d), %s", o.Suite.Name, file, q, o.seed(),
		plural(len(Expand(o.Suite, o.Quick, o.Seed)), "run"))
}

// shardArgs are the arguments of the suite command of one shard after
// "suite": the file (as file), the quick flag and the seed.
func (o *EmitOptions) shardArgs(file string) string {
	var args []string
	if file != "" {
		args = append(args, shq(file))
	}
	if o.Quick {
		args = append(args, "--quick")
	}
	args = append(args, "--seed", strconv.FormatUint(o.seed(), 10))
	return strings.Join(args, " ")
}

func (o *EmitOptions) slurm() string {
	n := o.Shards
	name := "stratbench-" + o.Suite.Name
	out := o.Out
	all := path.Join(filepath.ToSlash(out), "all")
	logs := path.Join(filepath.ToSlash(out), "logs")
	report := fmt.Sprintf("%s report %s/shard-{0..%d}/results.jsonl --out %s", shq(o.Bin), shq(out), n-1, shq(all))
	opts := fmt.Sprintf("--cpus-per-task=%d", o.CPUs)
	if o.Time > 0 {
		opts += " --time=" + slurmTime(o.Time)
	}
	if o.Partition != "" {
		opts += " --partition=" + shq(o.Partition)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/bash
# A stratbench sweep on Slurm: %s,
# in %s and a merge job. Emitted by:
#   %s
#
#   bash %s          submit the sweep: an array job and a merge job
#   bash %s 1,3      resubmit tasks 1 and 3 (they resume) and a new merge job
#
# Task i runs shard i/%d into %s/shard-i, with --resume when that directory exists
# (a requeued task continues where it stopped). When every task has succeeded
# (afterok), the merge job writes the report into %s. If a task fails, Slurm
# cancels the merge job; its command, run by hand, names the missing or
# incomplete shards:
#   %s
# Logs go to %s/. Relative paths are from the directory you submit from, which
# every node must see (a shared file system), as it must the binary and the suite.
set -euo pipefail

tasks=${1:-0-%d}
mkdir -p %s

array=$(sbatch --parsable --job-name=%s --array="$tasks" --requeue \
	%s --output=%s <<'STRATBENCH_SHARD'
#!/bin/bash
set -euo pipefail
shard=$SLURM_ARRAY_TASK_ID
dir=%s/shard-$shard
if [ -d "$dir" ]; then set -- --resume; else set --; fi
exec %s suite %s --shard "$shard/%d" --out "$dir" --quiet "$@"
STRATBENCH_SHARD
)
array=${array%%%%;*}

merge=$(sbatch --parsable --job-name=%s --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
	%s --output=%s <<'STRATBENCH_MERGE'
#!/bin/bash
set -euo pipefail
exec %s
STRATBENCH_MERGE
)
merge=${merge%%%%;*}

echo "submitted array job $array (tasks $tasks of 0-%d) and merge job $merge, which writes %s"
`,
		o.about(), plural(n, "array task"), o.command(),
		"THIS_FILE", "THIS_FILE",
		n, out, all,
		report,
		logs,
		n-1, shq(logs),
		shq(name), opts, shq(logs+"/shard-%a.%A.out"),
		shq(out),
		shq(o.Bin), o.shardArgs(o.File), n,
		shq(name+"-merge"), opts, shq(logs+"/merge-%j.out"),
		report,
		n-1, all)
	return b.String()
}

// slurmTime writes d as Slurm's --time: [D-]HH:MM:SS, rounded up to a
// second.
func slurmTime(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	days, s := s/86400, s%86400
	hms := fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	if days > 0 {
		return fmt.Sprintf("%d-%s", days, hms)
	}
	return hms
}

var k8sNameRE = regexp.MustCompile(`[^a-z0-9]+`)

// k8sName turns the suite's name into a Kubernetes object name (a DNS
// label, short enough for the suffixes and pod names added to it).
func k8sName(suite string) string {
	n := strings.Trim(k8sNameRE.ReplaceAllString(strings.ToLower(suite), "-"), "-")
	n = strings.TrimRight("stratbench-"+n, "-")
	if len(n) > 40 {
		n = strings.TrimRight(n[:40], "-")
	}
	return n
}

// yq quotes s as a YAML (JSON) double-quoted string.
func yq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// yamlBlock writes s as a YAML literal block at indent, or as a quoted
// string when a block cannot hold it exactly.
func yamlBlock(s, indent string) string {
	ok := strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\n\n") && !strings.HasPrefix(s, " ") &&
		!strings.HasPrefix(s, "\n") && !strings.ContainsAny(s, "\r\t\ufeff")
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r == 0x7f) {
			ok = false
		}
	}
	if !ok {
		return yq(s)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = indent + l
		}
	}
	return "|\n" + strings.Join(lines, "\n")
}

func (o *EmitOptions) k8s() (string, error) {
	n := o.Shards
	name := k8sName(o.Suite.Name)
	dir := path.Join(k8sResults, path.Clean(filepath.ToSlash(o.Out)))
	wait := o.Time
	if wait <= 0 {
		wait = 24 * time.Hour
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# A stratbench sweep on Kubernetes: %s,
# in an indexed Job of %s and a merge Job. Emitted by:
#   %s
#
#   kubectl apply -f THIS_FILE
#
# Pod i runs shard i/%d into %s/shard-i on the results volume (a
# ReadWriteMany claim every pod mounts at %s: adapt its storage to your
# cluster), with --resume when that directory exists, so a retried pod
# continues where it stopped. The merge Job waits (up to %s) until every
# shard is complete, then writes the report into %s; if shards are still
# missing or incomplete then, it fails naming them.
`, o.about(), plural(n, "pod"), o.command(), n, dir, k8sResults, wait, dir+"/all")
	labels := fmt.Sprintf("\n    app.kubernetes.io/name: stratbench\n    app.kubernetes.io/instance: %s", name)
	suiteArg := ""
	if o.File != "" {
		content, err := readSmall(o.File, 900<<10)
		if err != nil {
			return "", err
		}
		suiteArg = "/suite/" + filepath.Base(o.File)
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s-suite
  labels:%s
data:
  %s: %s
`, name, labels, yq(filepath.Base(o.File)), yamlBlock(content, "    "))
	}
	fmt.Fprintf(&b, `---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: %s-results
  labels:%s
spec:
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: 1Gi
`, name, labels)
	deadline := ""
	if o.Time > 0 {
		deadline = fmt.Sprintf("\n  activeDeadlineSeconds: %d", int64((o.Time+time.Second-1)/time.Second))
	}
	script := fmt.Sprintf(`dir=%s/shard-$JOB_COMPLETION_INDEX
if [ -d "$dir" ]; then set -- --resume; else set --; fi
exec %s suite %s --shard "$JOB_COMPLETION_INDEX/%d" --out "$dir" --quiet "$@"
`, shq(dir), shq(o.Bin), o.shardArgs(suiteArg), n)
	suiteMount, suiteVolume := "", ""
	if o.File != "" {
		suiteMount = "\n            - {name: suite, mountPath: /suite, readOnly: true}"
		suiteVolume = fmt.Sprintf("\n        - name: suite\n          configMap: {name: %s-suite}", name)
	}
	fmt.Fprintf(&b, `---
apiVersion: batch/v1
kind: Job
metadata:
  name: %s
  labels:%s
spec:
  completionMode: Indexed
  completions: %d
  parallelism: %d
  backoffLimitPerIndex: 2%s
  template:
    metadata:
      labels:%s
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: %s
          command:
            - sh
            - -c
            - %s
          resources:
            requests: {cpu: %q}
          volumeMounts:
            - {name: results, mountPath: %s}%s
      volumes:
        - name: results
          persistentVolumeClaim: {claimName: %s-results}%s
`, name, labels, n, n, deadline, indent(labels, "    "), yq(o.Image), yamlBlock(script, "              "),
		strconv.Itoa(o.CPUs), k8sResults, suiteMount, name, suiteVolume)
	var args strings.Builder
	args.WriteString("\n            - report")
	for i := range n {
		fmt.Fprintf(&args, "\n            - %s", yq(fmt.Sprintf("%s/shard-%d/%s", dir, i, ResultsFile)))
	}
	fmt.Fprintf(&args, "\n            - --out\n            - %s\n            - --wait\n            - %s", yq(dir+"/all"), wait)
	fmt.Fprintf(&b, `---
apiVersion: batch/v1
kind: Job
metadata:
  name: %s-merge
  labels:%s
spec:
  backoffLimit: 1
  template:
    metadata:
      labels:%s
    spec:
      restartPolicy: Never
      containers:
        - name: merge
          image: %s
          command: [%s]
          args:%s
          volumeMounts:
            - {name: results, mountPath: %s}
      volumes:
        - name: results
          persistentVolumeClaim: {claimName: %s-results}
`, name, labels, indent(labels, "    "), yq(o.Image), yq(o.Bin), args.String(), k8sResults, name)
	return b.String(), nil
}

// indent adds prefix after every line break of s.
func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shq quotes s for a POSIX shell when it needs it.
func shq(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readSmall reads the file at p, refusing one larger than limit bytes.
func readSmall(p string, limit int64) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", bad.Input(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > limit {
		return "", bad.Inputf("%s: larger than %d KiB, too large for a ConfigMap; keep the suite file smaller", p, limit>>10)
	}
	return string(b), nil
}

package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/stratbench/stratbench/internal/bad"
)

// emitCases are the emitted scripts and manifests pinned by golden files in
// testdata/emit (rewrite with -update).
func emitCases(t *testing.T) map[string]EmitOptions {
	policies, err := ParseFile("../examples/policies.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(11)
	return map[string]EmitOptions{
		"slurm-default.sh": {Emit: "slurm", Suite: Default(), Quick: true, Shards: 4, Out: "out/sweep", Bin: "stratbench", CPUs: 1},
		"slurm-options.sh": {Emit: "slurm", File: "../examples/policies.yaml", Suite: policies, Seed: &seed, Shards: 8,
			Out: "/scratch/my sweep", Bin: "/opt/strat bench/bin/stratbench", Partition: "long", Time: 90*time.Minute + 30*time.Second, CPUs: 2},
		"k8s-default.yaml": {Emit: "k8s", Suite: Default(), Quick: true, Shards: 4, Out: "sweep", Bin: "stratbench", CPUs: 1, Image: "stratbench:latest"},
		"k8s-options.yaml": {Emit: "k8s", File: "../examples/policies.yaml", Suite: policies, Seed: &seed, Shards: 8,
			Out: "runs/policies", Bin: "/usr/local/bin/stratbench", Time: 2 * time.Hour, CPUs: 2, Image: "registry.example/stratbench:v1"},
	}
}

func emit(t *testing.T, o EmitOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Emit(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEmitGolden pins the emitted scripts and manifests byte for byte.
func TestEmitGolden(t *testing.T) {
	for name, o := range emitCases(t) {
		t.Run(name, func(t *testing.T) {
			got := emit(t, o)
			path := filepath.Join("testdata", "emit", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./suite -run TestEmitGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (rerun with -update if on purpose):\n%s", name, got)
			}
		})
	}
}

// TestEmitSlurmScript checks the submit script with bash -n, and runs it
// with a stand-in sbatch that records each submission: an array of N tasks
// whose script runs shard $SLURM_ARRAY_TASK_ID/N with the seed, quick and
// --quiet, resuming an existing directory, and a merge job after all of
// them succeed.
func TestEmitSlurmScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	o := emitCases(t)["slurm-options.sh"]
	dir := t.TempDir()
	o.Out = filepath.Join(dir, "my sweep")
	script := filepath.Join(dir, "sweep.sh")
	if err := os.WriteFile(script, []byte(emit(t, o)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	// The stand-in sbatch saves its arguments and its standard input (the
	// job script) and prints a job id as --parsable does.
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	fake := `#!/bin/bash
n=$(( $(ls "$SBATCH_LOG" | wc -l) / 2 + 100 ))
printf '%s\n' "$@" > "$SBATCH_LOG/$n.args"
cat > "$SBATCH_LOG/$n.script"
echo "$n;cluster"
`
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	os.Mkdir(log, 0o755)
	cmd := exec.Command(bash, script, "3,5")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SBATCH_LOG="+log)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "submitted array job 100 (tasks 3,5 of 0-7) and merge job 101, which writes " + o.Out + "/all\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(log, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, want := range []string{"--array=3,5", "--requeue", "--cpus-per-task=2", "--time=01:30:30", "--partition=long", "--output=" + o.Out + "/logs/shard-%a.%A.out"} {
		if !strings.Contains(read("100.args"), want+"\n") {
			t.Errorf("array job lacks %s:\n%s", want, read("100.args"))
		}
	}
	for _, want := range []string{"--dependency=afterok:100", "--kill-on-invalid-dep=yes", "--time=01:30:30"} {
		if !strings.Contains(read("101.args"), want+"\n") {
			t.Errorf("merge job lacks %s:\n%s", want, read("101.args"))
		}
	}
	if _, err := os.Stat(filepath.Join(o.Out, "logs")); err != nil {
		t.Errorf("log directory not made: %v", err)
	}

	// The task script, run as task 5 with a stand-in stratbench, runs
	// shard 5/8 and resumes once its directory exists.
	task := filepath.Join(dir, "task.sh")
	os.WriteFile(task, []byte(read("100.script")), 0o644)
	fakeBin := "/opt/strat bench/bin/stratbench"
	taskScript := strings.ReplaceAll(read("100.script"), shq(fakeBin), filepath.Join(bin, "echo-args"))
	os.WriteFile(task, []byte(taskScript), 0o644)
	os.WriteFile(filepath.Join(bin, "echo-args"), []byte("#!/bin/bash\nprintf '[%s]' \"$@\"\n"), 0o755)
	runTask := func() string {
		cmd := exec.Command(bash, task)
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=5")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("task: %v\n%s", err, b)
		}
		return string(b)
	}
	shardDir := o.Out + "/shard-5"
	want := "[suite][../examples/policies.yaml][--seed][11][--shard][5/8][--out][" + shardDir + "][--quiet]"
	if got := runTask(); got != want {
		t.Errorf("fresh task runs\n%s\nwant\n%s", got, want)
	}
	os.MkdirAll(shardDir, 0o755)
	if got := runTask(); got != want+"[--resume]" {
		t.Errorf("requeued task runs\n%s\nwant\n%s[--resume]", got, want)
	}
	merge := strings.ReplaceAll(read("101.script"), shq(fakeBin), filepath.Join(bin, "echo-args"))
	os.WriteFile(task, []byte(merge), 0o644)
	var shards string
	for i := range 8 {
		shards += fmt.Sprintf("[%s/shard-%d/results.jsonl]", o.Out, i)
	}
	if got, want := runTask(), "[report]"+shards+"[--out]["+o.Out+"/all]"; got != want {
		t.Errorf("merge runs\n%s\nwant\n%s", got, want)
	}
}

// k8sObjects decodes a multi-document YAML stream strictly into the
// Kubernetes API types: an unknown or misspelt field, or a value of the
// wrong type, is an error.
func k8sObjects(t *testing.T, stream string) (cms []corev1.ConfigMap, pvcs []corev1.PersistentVolumeClaim, jobs []batchv1.Job) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not YAML: %v", err)
		}
		if doc == nil {
			continue
		}
		j, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		strict := func(v any) {
			d := json.NewDecoder(bytes.NewReader(j))
			d.DisallowUnknownFields()
			if err := d.Decode(v); err != nil {
				t.Fatalf("%s %s: %v\n%s", doc["apiVersion"], doc["kind"], err, j)
			}
		}
		switch fmt.Sprint(doc["apiVersion"], " ", doc["kind"]) {
		case "v1 ConfigMap":
			var o corev1.ConfigMap
			strict(&o)
			cms = append(cms, o)
		case "v1 PersistentVolumeClaim":
			var o corev1.PersistentVolumeClaim
			strict(&o)
			pvcs = append(pvcs, o)
		case "batch/v1 Job":
			var o batchv1.Job
			strict(&o)
			jobs = append(jobs, o)
		default:
			t.Fatalf("unexpected object %v %v", doc["apiVersion"], doc["kind"])
		}
	}
}

// TestEmitK8sValid decodes the manifests strictly into batch/v1 and core/v1
// types and checks what makes them work: an indexed Job of N completions
// whose pods run their shard, a merge Job over the N shards, and volumes,
// claims and config maps that refer to each other.
func TestEmitK8sValid(t *testing.T) {
	for _, name := range []string{"k8s-default.yaml", "k8s-options.yaml"} {
		t.Run(name, func(t *testing.T) {
			o := emitCases(t)[name]
			cms, pvcs, jobs := k8sObjects(t, emit(t, o))
			if len(pvcs) != 1 || len(jobs) != 2 || len(cms) != map[bool]int{true: 1, false: 0}[o.File != ""] {
				t.Fatalf("%d config maps, %d claims, %d jobs", len(cms), len(pvcs), len(jobs))
			}
			if o.File != "" {
				want, _ := os.ReadFile(o.File)
				if got := cms[0].Data[filepath.Base(o.File)]; got != string(want) {
					t.Errorf("config map holds\n%q\nwant the suite file\n%q", got, want)
				}
			}
			claim := pvcs[0].Name
			sweep, merge := jobs[0], jobs[1]
			s := sweep.Spec
			if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
				t.Error("sweep Job is not Indexed")
			}
			if s.Completions == nil || int(*s.Completions) != o.Shards || s.Parallelism == nil || int(*s.Parallelism) != o.Shards {
				t.Errorf("completions %v, parallelism %v, want %d", s.Completions, s.Parallelism, o.Shards)
			}
			if s.BackoffLimitPerIndex == nil || s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
				t.Error("want a per-index backoff limit with restartPolicy Never")
			}
			if o.Time > 0 && (s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != int64(o.Time/time.Second)) {
				t.Errorf("activeDeadlineSeconds %v, want %d", s.ActiveDeadlineSeconds, int64(o.Time/time.Second))
			}
			for _, j := range jobs {
				checkPod(t, j.Name, j.Spec.Template.Spec, claim, cms)
			}
			c := s.Template.Spec.Containers[0]
			if c.Image != o.Image || c.Resources.Requests.Cpu().Value() != int64(o.CPUs) {
				t.Errorf("image %s, cpu %v", c.Image, c.Resources.Requests.Cpu())
			}
			script := strings.Join(c.Command, " ")
			for _, want := range []string{
				fmt.Sprintf(`--shard "$JOB_COMPLETION_INDEX/%d"`, o.Shards),
				fmt.Sprintf("--seed %d", o.seed()), "--quiet", `set -- --resume`,
				"dir=/results/" + o.Out + "/shard-$JOB_COMPLETION_INDEX",
			} {
				if !strings.Contains(script, want) {
					t.Errorf("shard pod's command lacks %q:\n%s", want, script)
				}
			}
			if strings.Contains(script, "--quick") != o.Quick {
				t.Errorf("--quick in the command: %v, want %v", !o.Quick, o.Quick)
			}
			m := merge.Spec.Template.Spec.Containers[0]
			if m.Command[0] != o.Bin || m.Args[0] != "report" || len(m.Args) != 1+o.Shards+4 {
				t.Fatalf("merge runs %v %v", m.Command, m.Args)
			}
			for i := range o.Shards {
				if want := fmt.Sprintf("/results/%s/shard-%d/results.jsonl", o.Out, i); m.Args[1+i] != want {
					t.Errorf("merge input %d is %s, want %s", i, m.Args[1+i], want)
				}
			}
			if tail := strings.Join(m.Args[1+o.Shards:], " "); !strings.HasPrefix(tail, "--out /results/"+o.Out+"/all --wait ") {
				t.Errorf("merge options %q", tail)
			} else if _, err := time.ParseDuration(m.Args[len(m.Args)-1]); err != nil {
				t.Errorf("--wait %v", err)
			}
		})
	}
}

// checkPod checks that every mount names a volume of the pod and that
// volumes use the sweep's claim and config map.
func checkPod(t *testing.T, job string, p corev1.PodSpec, claim string, cms []corev1.ConfigMap) {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range p.Volumes {
		vols[v.Name] = v
		if pv := v.PersistentVolumeClaim; pv != nil && pv.ClaimName != claim {
			t.Errorf("%s: volume %s claims %s, want %s", job, v.Name, pv.ClaimName, claim)
		}
		if cm := v.ConfigMap; cm != nil && (len(cms) == 0 || cm.Name != cms[0].Name) {
			t.Errorf("%s: volume %s uses config map %s, which the manifests do not make", job, v.Name, cm.Name)
		}
	}
	if len(p.Containers) != 1 {
		t.Fatalf("%s: %d containers", job, len(p.Containers))
	}
	for _, m := range p.Containers[0].VolumeMounts {
		if _, ok := vols[m.Name]; !ok {
			t.Errorf("%s: mount %s names no volume", job, m.Name)
		}
	}
}

// TestEmitBadOptions: every bad option is refused with a one-line error
// naming it.
func TestEmitBadOptions(t *testing.T) {
	base := emitCases(t)["slurm-default.sh"]
	for _, tc := range []struct {
		name string
		edit func(o *EmitOptions)
		want string
	}{
		{"emitter", func(o *EmitOptions) { o.Emit = "pbs" }, `emit: want one of slurm, k8s, got "pbs"`},
		{"no shards", func(o *EmitOptions) { o.Shards = 0 }, "emit needs shards N"},
		{"too many shards", func(o *EmitOptions) { o.Shards = 100000 }, "at most"},
		{"cpus", func(o *EmitOptions) { o.CPUs = 0 }, "cpus: want at least 1"},
		{"time", func(o *EmitOptions) { o.Time = -time.Second }, "time: want a positive duration"},
		{"bin", func(o *EmitOptions) { o.Bin = "" }, "bin: give the path"},
		{"newline", func(o *EmitOptions) { o.Out = "a\nb" }, "a line break or NUL"},
		{"percent", func(o *EmitOptions) { o.Out = "out/100%" }, "Slurm reads % in log paths"},
		{"no image", func(o *EmitOptions) { o.Emit = "k8s"; o.Out = "sweep" }, "emit k8s needs image"},
		{"absolute k8s out", func(o *EmitOptions) { o.Emit = "k8s"; o.Image = "x"; o.Out = "/data" }, "inside the results volume"},
		{"missing file", func(o *EmitOptions) { o.Emit = "k8s"; o.Image = "x"; o.Out = "s"; o.File = "nonexistent.yaml" }, "nonexistent.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			var b bytes.Buffer
			err := Emit(&b, o)
			if err == nil || !errors.Is(err, bad.ErrInput) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want a one-line bad-input error with %q", err, tc.want)
			}
			if b.Len() > 0 {
				t.Errorf("wrote %d bytes despite the error", b.Len())
			}
		})
	}
}

// TestK8sName: object names are DNS labels short enough for suffixes.
func TestK8sName(t *testing.T) {
	for in, want := range map[string]string{
		"default":               "stratbench-default",
		"Big Sweep_2!":          "stratbench-big-sweep-2",
		"--":                    "stratbench",
		strings.Repeat("a", 80): "stratbench-" + strings.Repeat("a", 29),
	} {
		if got := k8sName(in); got != want {
			t.Errorf("k8sName(%q) = %q, want %q", in, got, want)
		}
	}
}

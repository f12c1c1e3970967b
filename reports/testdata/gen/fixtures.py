#!/usr/bin/env python3
"""Writes the hand-made fixtures of reports/testdata: harness batch, service
and XML records in the shape the harness writes (every repetition kept in
samples), Go benchmark text, and malformed inputs. Seeded: the same bytes
every time.

    python3 reports/testdata/gen/fixtures.py
"""
import json, os, random, statistics

here = os.path.dirname(os.path.abspath(__file__))
td = os.path.dirname(here)
rng = random.Random(7)
ENV = {"go_version": "go1.26.8", "goos": "linux", "goarch": "amd64", "cpu": "Intel(R) Xeon(R) Processor",
       "num_cpu": 2, "gomaxprocs": 2, "seed": 1, "commit": "0123456789abcdef0123", "time": "2026-11-21T20:00:00Z"}


def median_ci(xs):
    s = sorted(xs)
    n = len(s)
    m = statistics.median(s)
    # order statistics for 95% coverage (binomial), as metrics.MedianCI
    from math import comb
    best = -1
    for k in range(n // 2):
        cov = sum(comb(n, i) for i in range(k + 1, n - k)) / 2 ** n
        if cov >= 0.95:
            best = k
        else:
            break
    if best < 0:
        return m, None
    return m, [s[best], s[n - 1 - best]]


def record(engine, family, name, params, series, extra=None, warnings=None, env=ENV):
    r = {"engine": engine, "family": family, "name": name, "params": params, "metrics": {}, "ci95": {}, "samples": {}}
    for k, xs in series.items():
        m, ci = median_ci(xs)
        r["metrics"][k] = m
        r["samples"][k] = xs
        if ci:
            r["ci95"][k] = ci
    if extra:
        for k, v in extra.items():
            if k == "metrics":
                r["metrics"].update(v)
            else:
                r[k] = v
    if warnings:
        r["warnings"] = warnings
    r["env"] = env
    return r


def noisy(x, rel, n=10):
    return [round(x * (1 + rng.gauss(0, rel)), 9) for _ in range(n)]


def batch():
    out = []
    tasks = 10000
    seq_wall = 0.52
    per = {  # wall time at 1 and 2 workers (s), imbalance, allocs per task
        "sequential": ({1: 0.52}, 1.0, 0.0),
        "goroutine": ({1: 0.60, 2: 0.34}, 1.04, 2.0),
        "pool": ({1: 0.53, 2: 0.275}, 1.02, 0.0),
        "batch": ({1: 0.522, 2: 0.266}, 1.01, 0.0),
        "queues:p2c": ({1: 0.525, 2: 0.29}, 1.12, 0.0),
        "steal": ({1: 0.524, 2: 0.268}, 1.01, 0.0),
    }
    for strat, (walls, imb, allocs) in per.items():
        for w, wall in walls.items():
            kv = [("workload", "spin"), ("tasks", tasks), ("size", "pareto:alpha=1.5")]
            if strat.startswith("queues"):
                kv += [("executor", "queues"), ("policy", "p2c")]
            else:
                kv += [("executor", strat)]
            kv += [("workers", w)]
            name = "/".join(f"{k}={v}" for k, v in kv)
            walls_s = noisy(wall, 0.02)
            series = {
                "wall_sec": walls_s,
                "throughput_per_sec": [tasks / x for x in walls_s],
                "speedup": [seq_wall / x for x in walls_s],
                "efficiency": [seq_wall / x / w for x in walls_s],
                "imbalance": noisy(imb, 0.01),
                "allocs_per_task": [allocs] * 10,
            }
            params = {"workload": "spin", "executor": strat.split(":")[0], "strategy": strat, "workers": w,
                      "tasks": tasks, "size": "pareto:alpha=1.5", "count": 10, "baseline": "sequential"}
            busy = [round(wall * (1 + 0.05 * rng.random()) * 0.97, 6) for _ in range(w)]
            cnt = [round(tasks / w * (1 + 0.04 * (rng.random() - 0.5)), 1) for _ in range(w)]
            out.append(record("harness", "Batch", name, params, series,
                              {"per_server": {"busy_sec": busy, "tasks": cnt}, "profile": "cpu.pprof"}))
    # One case with too few runs: warnings are data.
    out[-1]["warnings"] = ["5 measured runs: a 95% interval for the median needs at least 6 (--count)"]
    return out


def service():
    out = []
    for load in (0.5, 0.8):
        for pol, f in (("random", 1.0), ("jsq", 0.55), ("p2c", 0.65)):
            base = 1 / (1 - load)
            mean = 1 + (base - 1) * f
            name = f"policy={pol}/servers=8/load={load}"
            cdf, q = [], 0.5
            while q < 0.9999:
                cdf.append([round(-mean * 0.9 * __import__("math").log(1 - q) + 0.05, 6), q])
                q = 1 - (1 - q) * 0.7
            params = {"policy": pol, "servers": 8, "load": load, "service": "exp", "arrival": "poisson",
                      "kind": "sleep", "unit_sec": 0.001}
            series = {"response_mean": noisy(mean, 0.03, 6)}
            extra = {"metrics": {"response_p50": mean * 0.69, "response_p95": mean * 3.0, "response_p99": mean * 4.6,
                                 "wait_mean": mean - 1, "throughput_per_sec": 8 * load * 1000},
                     "per_server": {"dispatched": [round(1000 * load * (1 + 0.2 * (rng.random() - 0.5)) * (1.3 if pol == "random" else 1)) for _ in range(8)]},
                     "cdf": cdf}
            out.append(record("harness", "Service", name, params, series, extra))
    return out


def xml():
    """The kernel ladder on one document, one core each, and the token
    kernel on two workers over record-aligned chunks, as xml run writes
    them."""
    out = []
    answers = {"q1": "Kasidit Treweek", "q5": 248, "q6": 2175, "q17": 668,
               "q20": {"challenge": 315, "na": 543, "preferred": 81, "standard": 336}}
    runs = [("unmarshal", 1, 35), ("decode", 1, 47), ("token", 1, 54), ("rawtoken", 1, 64), ("fast", 1, 640)]
    for k, w, mbs in runs:
        name = f"kernel={k}/workers={w}"
        params = {"bytes": 11600000, "files": 1, "kernel": k, "mode": "stream", "workers": w}
        series = {"mb_per_sec": noisy(mbs, 0.03, 8)}
        series["wall_sec"] = [11.6 / x for x in series["mb_per_sec"]]
        out.append(record("harness", "XML", name, params, series, {"answers": answers}))
    name = "kernel=token/workers=2/executor=pool"
    params = {"bytes": 11600000, "chunks": 8, "executor": "pool", "files": 1, "kernel": "token", "mode": "chunks", "workers": 2}
    series = {"mb_per_sec": noisy(97, 0.03, 8)}
    series["wall_sec"] = [11.6 / x for x in series["mb_per_sec"]]
    out.append(record("harness", "XML", name, params, series, {"answers": answers}))
    return out


def write_jsonl(name, recs):
    with open(os.path.join(td, name), "w") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":"), sort_keys=False) + "\n")


def gobench():
    lines = ["goos: linux", "goarch: amd64", "pkg: github.com/stratbench/stratbench",
             "cpu: Intel(R) Xeon(R) Processor"]
    for i in range(6):
        for k, ns in (("range", 2900), ("unroll4", 1050), ("unroll8", 830), ("gonum", 760)):
            v = ns * (1 + rng.gauss(0, 0.02))
            lines.append(f"BenchmarkKernels/family=sum/kernel={k}/n=4096-2\t  {rng.randint(300000, 400000)}\t{v:.1f} ns/op\t{4096 / v * 1e3:.1f} Melements/s\t0 B/op\t0 allocs/op")
    for i in range(6):
        lines.append(f"BenchmarkParse-2\t  1000\t{120000 * (1 + rng.gauss(0, 0.02)):.0f} ns/op\t{4096}\tB/op\t12 allocs/op".replace("\t4096\tB/op", "\t4096 B/op"))
    lines += ["PASS", "ok  \tgithub.com/stratbench/stratbench\t12.3s"]
    with open(os.path.join(td, "gobench.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def malformed():
    good = record("harness", "Batch", "executor=pool/workers=2", {"executor": "pool", "workers": 2},
                  {"throughput_per_sec": noisy(19000, 0.02, 6)})
    good2 = record("harness", "Batch", "executor=goroutine/workers=2", {"executor": "goroutine", "workers": 2},
                   {"throughput_per_sec": noisy(15000, 0.02, 6)})
    lines = [json.dumps(good),
             json.dumps(good)[:60],  # truncated line
             json.dumps({**good, "colour": "blue"}),  # unknown field
             json.dumps({k: v for k, v in good.items() if k != "engine"}),  # missing engine
             "",
             json.dumps(good2)]
    with open(os.path.join(td, "malformed.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(td, "malformed.txt"), "w") as f:
        f.write("goos: linux\n"
                "BenchmarkA/strategy=x-2 \t100\t500 ns/op\n"
                "BenchmarkA/strategy=y-2 \t100\t900 ns/op\t7\n"  # odd field count
                "BenchmarkA/strategy=z-2 \tlots\t900 ns/op\n"  # bad iteration count
                "BenchmarkA/strategy=y-2 \t100\t910 ns/op\n"
                "Unit ns/op better=sideways\n")


def regressed(recs):
    """The same batch run again, with goroutine 10% slower: what compare
    --fail-on-regression must catch."""
    out = []
    for r in json.loads(json.dumps(recs)):
        f = 0.9 if r["params"]["executor"] == "goroutine" else 1.0
        xs = [round(x * f * (1 + rng.gauss(0, 0.01)), 6) for x in r["samples"]["throughput_per_sec"]]
        r["samples"] = {"throughput_per_sec": xs}
        m, ci = median_ci(xs)
        r["metrics"] = {"throughput_per_sec": m}
        r["ci95"] = {"throughput_per_sec": ci}
        r.pop("profile", None)
        out.append(r)
    return out


b = batch()
write_jsonl("batch.jsonl", b)
write_jsonl("batch-new.jsonl", regressed(b))
write_jsonl("service.jsonl", service())
write_jsonl("xml.jsonl", xml())
gobench()
malformed()

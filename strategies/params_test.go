package strategies_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/strategies"
)

// TestParamDefaultsAreTheSources checks every declared default against the
// figure its source gives, written out here once more: Prequal's paper
// (r_probe 3, m 16, r_remove 1, δ 1, Q_RIF 0.84; max_age is ours) and
// Envoy's least request documentation (choice_count 2,
// active_request_bias 1.0, slow start off, aggression 1.0,
// min_weight_percent 10).
func TestParamDefaultsAreTheSources(t *testing.T) {
	want := map[string]map[string]float64{
		"prequal":  {"probe_rate": 3, "pool": 16, "remove_rate": 1, "reuse_delta": 1, "q_rif": 0.84, "max_age": 100},
		"leastreq": {"choices": 2, "bias": 1, "slow_start_window": 0, "aggression": 1, "min_weight_percent": 10},
	}
	for _, row := range strategies.Policies {
		w, has := want[row.Name]
		if !has {
			if len(row.Params) > 0 {
				t.Errorf("%s declares parameters this test does not check: %v", row.Name, row.Params)
			}
			continue
		}
		got := map[string]float64{}
		for _, p := range row.Params {
			got[p.Name] = p.Default
			if p.Source == "" || p.Help == "" {
				t.Errorf("%s.%s has no source or help", row.Name, p.Name)
			}
			if err := p.Check(row.Name, p.Default); err != nil {
				t.Errorf("default out of its own range: %v", err)
			}
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s defaults %v, want %v", row.Name, got, w)
		}
	}
}

// TestPolicyOptionsDefaultIsUnset checks that options set to the defaults
// build the same policy as none: the same picks from the same seed.
func TestPolicyOptionsDefaultIsUnset(t *testing.T) {
	for _, name := range []string{"prequal", "leastreq"} {
		row, _ := strategies.LookupPolicy(name)
		all := strategies.Options{}
		for _, p := range row.Params {
			all[p.Name] = p.Default
		}
		picks := func(o strategies.Options) []int {
			p, err := strategies.NewPolicy(name, strategies.PolicyConfig{Servers: 7, Options: o, Rand: rand.New(rand.NewPCG(3, 4))})
			if err != nil {
				t.Fatal(err)
			}
			v := newView(7)
			var out []int
			for i := range 500 {
				s := p.Pick(v, strategies.Job{ID: uint64(i)})
				out = append(out, s)
				v.load[s]++
				v.load[i%7] = max(v.load[i%7]-1, 0)
				v.now += 0.2
			}
			return out
		}
		if a, b := picks(nil), picks(all); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: defaults given explicitly pick differently from none", name)
		}
		cfg := strategies.PolicyConfig{Servers: 7, Options: all}
		if p := cfg.Params(name); p[name] != nil {
			t.Errorf("%s: defaults given explicitly are recorded: %v", name, p)
		}
		if kv := cfg.NameParams(name); kv != nil {
			t.Errorf("%s: defaults given explicitly are named: %v", name, kv)
		}
	}
}

// TestPolicyOptionRecordAndName checks what records and names carry of
// options: the whole set with defaults when one differs, and in the name
// only those that differ.
func TestPolicyOptionRecordAndName(t *testing.T) {
	cfg := strategies.PolicyConfig{Servers: 10, Options: strategies.Options{"pool": 4, "q_rif": 0.84}}
	rec := cfg.Params("prequal")["prequal"].(map[string]any)
	want := map[string]any{"probe_rate": 3.0, "pool": 4, "remove_rate": 1.0, "reuse_delta": 1.0, "q_rif": 0.84, "max_age": 100.0}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record %v, want %v", rec, want)
	}
	if kv := cfg.NameParams("prequal"); !reflect.DeepEqual(kv, []any{"pool", 4}) {
		t.Errorf("name %v, want [pool 4]", kv)
	}
	// Names of option parameters must not collide with what a scenario's
	// name already says.
	for _, row := range strategies.Policies {
		for _, p := range row.Params {
			switch p.Name {
			case "policy", "servers", "load", "service", "arrival", "discipline", "speeds", "faults", "netdelay", "d", "dispatchers", "via", "workers":
				t.Errorf("%s.%s collides with a name key", row.Name, p.Name)
			}
		}
	}
}

func TestParsePolicyOpt(t *testing.T) {
	for _, tc := range []struct {
		spec, policy, param string
		value               float64
		err                 string
	}{
		{"prequal.pool=8", "prequal", "pool", 8, ""},
		{" prequal.q_rif = 0.5 ", "prequal", "q_rif", 0.5, ""},
		{"leastreq.bias=0", "leastreq", "bias", 0, ""},
		{"leastreq.slow_start_window=1e3", "leastreq", "slow_start_window", 1000, ""},
		{"prequal.pool", "", "", 0, `"prequal.pool": want POLICY.PARAM=VALUE`},
		{"pool=8", "", "", 0, `"pool=8": want POLICY.PARAM=VALUE`},
		{"prequal.=8", "", "", 0, `"prequal.=8": want POLICY.PARAM=VALUE`},
		{"prequal.pool=", "", "", 0, `"prequal.pool=": want POLICY.PARAM=VALUE`},
		{"prequel.pool=8", "", "", 0, `"prequel.pool=8": unknown policy "prequel" (known: random,`},
		{"p2c.d=3", "", "", 0, `"p2c.d=3": policy p2c has no parameters (those that have: leastreq, prequal)`},
		{"prequal.qrif=0.8", "", "", 0, `"prequal.qrif=0.8": policy prequal has no parameter "qrif" (its parameters: probe_rate, pool, remove_rate, reuse_delta, q_rif, max_age)`},
		{"prequal.pool=many", "", "", 0, `"prequal.pool=many": prequal.pool must be a number in [1, 1024], got "many"`},
		{"prequal.pool=0", "", "", 0, `"prequal.pool=0": prequal.pool must be an integer in [1, 1024], got 0`},
		{"prequal.pool=2.5", "", "", 0, `"prequal.pool=2.5": prequal.pool must be an integer in [1, 1024], got 2.5`},
		{"prequal.q_rif=NaN", "", "", 0, `prequal.q_rif must be a number in [0, 1], got NaN`},
		{"prequal.max_age=inf", "", "", 0, `prequal.max_age must be a number in (0, 1e+12], got +Inf`},
		{"prequal.probe_rate=0", "", "", 0, `prequal.probe_rate must be a number in (0, 64], got 0`},
		{"prequal.pool=" + strings.Repeat("1", 300), "", "", 0, "longer than 256 bytes"},
	} {
		pol, prm, x, err := strategies.ParsePolicyOpt(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || pol != tc.policy || prm != tc.param || x != tc.value {
			t.Errorf("%q: %s %s %g %v, want %s %s %g", tc.spec, pol, prm, x, err, tc.policy, tc.param, tc.value)
		}
	}
}

func TestParsePolicyOpts(t *testing.T) {
	po, err := strategies.ParsePolicyOpts([]string{"prequal.pool=8", "leastreq.bias=2", "prequal.q_rif=0.5"})
	if err != nil {
		t.Fatal(err)
	}
	want := strategies.PolicyOptions{"prequal": {"pool": 8, "q_rif": 0.5}, "leastreq": {"bias": 2}}
	if !reflect.DeepEqual(po, want) {
		t.Errorf("%v, want %v", po, want)
	}
	if got := po["prequal"].Specs("prequal"); !reflect.DeepEqual(got, []string{"prequal.pool=8", "prequal.q_rif=0.5"}) {
		t.Errorf("Specs: %v", got)
	}
	if err := po.Only([]string{"p2c", "prequal"}); err == nil || err.Error() != "options for leastreq, but the policies run are p2c, prequal" {
		t.Errorf("Only: %v", err)
	}
	if err := po.Only([]string{"leastreq", "prequal"}); err != nil {
		t.Errorf("Only: %v", err)
	}
	if _, err := strategies.ParsePolicyOpts([]string{"prequal.pool=8", "prequal.pool=9"}); err == nil || err.Error() != "prequal.pool is given twice" {
		t.Errorf("twice: %v", err)
	}
}

// FuzzParsePolicyOpt checks that any text is either refused with an error
// or read as a declared parameter of a known policy with a value in its
// range, which Specs writes back as the same option.
func FuzzParsePolicyOpt(f *testing.F) {
	for _, s := range []string{"prequal.pool=16", "prequal.q_rif=0.84", "leastreq.bias=1.5", "leastreq.choices=3",
		"prequal.max_age=1e12", "x.y=z", "prequal.pool=0x10", "prequal.pool=1_6", "=", ".=", "prequal..pool=1", "prequal.pool==1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		pol, prm, x, err := strategies.ParsePolicyOpt(spec)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		row, ok := strategies.LookupPolicy(pol)
		if !ok {
			t.Fatalf("%q: unknown policy %q accepted", spec, pol)
		}
		var decl *strategies.Param
		for i := range row.Params {
			if row.Params[i].Name == prm {
				decl = &row.Params[i]
			}
		}
		if decl == nil {
			t.Fatalf("%q: undeclared parameter %q accepted", spec, prm)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || decl.Check(pol, x) != nil {
			t.Fatalf("%q: value %g out of %s accepted", spec, x, decl.Range())
		}
		back := strategies.Options{prm: x}.Specs(pol)
		if len(back) != 1 {
			t.Fatalf("%q: Specs %v", spec, back)
		}
		p2, n2, x2, err := strategies.ParsePolicyOpt(back[0])
		if err != nil || p2 != pol || n2 != prm || x2 != x {
			t.Fatalf("%q: written back as %q, read as %s.%s=%g (%v)", spec, back[0], p2, n2, x2, err)
		}
		if _, err := strategies.NewPolicy(pol, strategies.PolicyConfig{Servers: 3, Options: strategies.Options{prm: x}, Rand: rand.New(rand.NewPCG(1, 1))}); err != nil {
			t.Fatalf("%q: accepted but the policy refuses it: %v", spec, err)
		}
	})
}

package cluster

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/strategies"
)

// TestExternalConfigs pins the configuration each external balancer gets
// for a few policies (golden files), and checks that every policy of the
// catalogue gives every balancer a configuration: Caddy's selection
// policy is valid JSON, an inexact mapping says why.
func TestExternalConfigs(t *testing.T) {
	c := ExternalConfig{Listen: "127.0.0.1:8080", Backends: []string{"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"}, Dir: "/run/stratbench"}
	// HAProxy's connection limit follows this process's limit of open
	// files.
	maxconn := regexp.MustCompile(`maxconn \d+`)
	for _, e := range externals {
		for _, p := range []string{"jsq", "p2c", "rr", "hash", "ewma"} {
			c.Policy, c.D = p, 2
			conf, err := e.config(c)
			if err != nil {
				t.Fatalf("%s %s: %v", e.name, p, err)
			}
			golden(t, e.name+"-"+p+".golden", maxconn.ReplaceAllString(conf, "maxconn N"))
		}
	}
	for _, row := range strategies.Policies {
		for _, e := range externals {
			n := e.policy(row.Name, 3)
			if n.Directive == "" || !n.Exact && n.Note == "" {
				t.Errorf("%s for %s: %+v: no directive, or inexact without a note", e.name, row.Name, n)
			}
			c.Policy, c.D = row.Name, 3
			if _, err := e.config(c); err != nil {
				t.Errorf("%s for %s: %v", e.name, row.Name, err)
			}
		}
		if n := CaddyPolicy(row.Name, 3); !json.Valid([]byte(n.Directive)) {
			t.Errorf("caddy for %s: selection policy %q is not JSON", row.Name, n.Directive)
		}
	}
}

// TestExternalConfigsAccepted has each installed balancer check the
// configurations it would get, for every deployable policy.
func TestExternalConfigsAccepted(t *testing.T) {
	for _, e := range externals {
		t.Run(e.name, func(t *testing.T) {
			if _, err := FindBinary(e.name); err != nil {
				t.Skip(err)
			}
			dir := t.TempDir()
			for _, row := range strategies.Policies {
				if !row.Deployable() {
					continue
				}
				c := ExternalConfig{Listen: "127.0.0.1:1", Backends: []string{"127.0.0.1:2", "127.0.0.1:3"}, Policy: row.Name, D: 2, Dir: dir}
				argv, err := externalCommand(&e, c)
				if err != nil {
					t.Errorf("%s: %v", row.Name, err)
					continue
				}
				if _, err := exec.LookPath(argv[0]); err != nil || !strings.Contains(strings.Join(argv, " "), e.file) {
					t.Errorf("%s: command %q does not run %s", row.Name, argv, e.file)
				}
			}
		})
	}
}

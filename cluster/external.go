package cluster

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stratbench/stratbench/cluster/worker"
	"github.com/stratbench/stratbench/metrics"
	"github.com/stratbench/stratbench/strategies"
)

// ViaInfo is one row of the catalog of ways requests reach the workers.
type ViaInfo struct {
	Name string
	Help string
}

// Vias is the catalog of balancers `run cluster --via` can use.
var Vias = []ViaInfo{
	{"ours", "stratbench balance: a Go reverse proxy (net/http/httputil) placing requests with the policy itself"},
	{"nginx", "nginx (Debian package nginx) with the nearest built-in policy: round robin, least_conn, random two least_conn, hash consistent"},
	{"haproxy", "HAProxy (Debian package haproxy) with the nearest built-in policy: roundrobin, leastconn, random(2), consistent hash"},
	{"caddy", "Caddy (Debian package caddy) with the nearest built-in lb_policy: round_robin, least_conn, random_choose 2, header hash"},
	{"direct", "no proxy: the load generator places requests itself with the policy (client-side balancing, as gRPC clients do)"},
}

// ViaNames lists the catalog's names.
func ViaNames() []string {
	names := make([]string, len(Vias))
	for i, v := range Vias {
		names[i] = v.Name
	}
	return names
}

// Native is how an external balancer comes closest to a stratbench policy
// (the policy's catalogue row says, strategies.PolicyInfo.Nginx/HAProxy/
// Caddy).
type Native = strategies.External

// external is one row of the table of external balancers: how to find,
// configure, check, run and read one. A run starts it under a guard, in
// the foreground, with its configuration and every file it writes in the
// run's directory.
type external struct {
	// name is its via; pkg its Debian package.
	name, pkg string
	// policy is its nearest policy to a stratbench policy.
	policy func(policy string, d int) Native
	// file names its configuration in the run's directory; config writes
	// it.
	file   string
	config func(ExternalConfig) (string, error)
	// check is the command line that checks the configuration at conf, run
	// the one that serves it in the foreground (dir: the run's directory).
	check, run func(bin, conf, dir string) []string
	// stats, when set, returns what adds the balancer's own counters to a
	// result.
	stats func(dir string, addrs []string) func(*metrics.Result)
	// env, when set, returns what is added to its environment (dir: the
	// run's directory).
	env func(dir string) []string
}

// externals is the table of external balancers.
var externals = []external{
	{
		name: "nginx", pkg: "nginx", policy: NginxPolicy, file: "nginx.conf", config: noErr(NginxConfig),
		check: func(bin, conf, dir string) []string {
			return []string{bin, "-t", "-q", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "nginx-error.log")}
		},
		run: func(bin, conf, dir string) []string {
			return []string{bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "nginx-error.log")}
		},
		stats: func(string, []string) func(*metrics.Result) {
			return func(res *metrics.Result) {
				res.Warnings = append(res.Warnings, "open-source nginx does not count retries: metric retries is absent (failures are still counted by the load generator)")
			}
		},
	},
	{
		name: "haproxy", pkg: "haproxy", policy: HAProxyPolicy, file: "haproxy.cfg", config: noErr(HAProxyConfig),
		check: func(bin, conf, _ string) []string { return []string{bin, "-c", "-q", "-f", conf} },
		run:   func(bin, conf, _ string) []string { return []string{bin, "-db", "-f", conf} },
		stats: haproxyStats,
	},
	{
		name: "caddy", pkg: "caddy", policy: CaddyPolicy, file: "caddy.json", config: CaddyConfig,
		check: func(bin, conf, _ string) []string { return []string{bin, "validate", "--config", conf} },
		run:   func(bin, conf, _ string) []string { return []string{bin, "run", "--config", conf} },
		stats: func(string, []string) func(*metrics.Result) {
			return func(res *metrics.Result) {
				res.Warnings = append(res.Warnings, "Caddy does not count retries: metric retries is absent (failures are still counted by the load generator)")
			}
		},
		// Caddy keeps its data (an instance id, certificates) and its
		// configuration under $XDG_DATA_HOME and $XDG_CONFIG_HOME, else
		// $HOME: a run's go in the run's directory, never the user's.
		env: func(dir string) []string {
			return []string{"XDG_DATA_HOME=" + filepath.Join(dir, "caddy-data"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "caddy-config")}
		},
	},
}

func noErr(f func(ExternalConfig) string) func(ExternalConfig) (string, error) {
	return func(c ExternalConfig) (string, error) { return f(c), nil }
}

// lookupExternal returns the row of the external balancer via.
func lookupExternal(via string) (*external, bool) {
	i := slices.IndexFunc(externals, func(e external) bool { return e.name == via })
	if i < 0 {
		return nil, false
	}
	return &externals[i], true
}

// IsExternal reports whether via is an external balancer (nginx, HAProxy,
// Caddy): a program to be installed, whose runs a suite skips when it is
// missing.
func IsExternal(via string) bool {
	_, ok := lookupExternal(via)
	return ok
}

// NginxPolicy returns nginx's nearest policy (open-source nginx: round
// robin, least_conn, random [two [least_conn]], hash ... consistent).
func NginxPolicy(policy string, d int) Native {
	if row, ok := strategies.LookupPolicy(policy); ok && row.Nginx != nil {
		return row.Nginx(d)
	}
	return Native{Directive: "least_conn;", Note: "nginx has no " + policy + "; least connections is the nearest policy it has"}
}

// CaddyPolicy returns Caddy's nearest selection policy (Caddy 2.6's
// reverse_proxy), its Directive the JSON of load_balancing's
// selection_policy.
func CaddyPolicy(policy string, d int) Native {
	if row, ok := strategies.LookupPolicy(policy); ok && row.Caddy != nil {
		return row.Caddy(d)
	}
	return Native{Directive: `{"policy": "least_conn"}`, Note: "Caddy has no " + policy + "; least connections is the nearest policy it has"}
}

// HAProxyPolicy returns HAProxy's nearest balance algorithm.
func HAProxyPolicy(policy string, d int) Native {
	if row, ok := strategies.LookupPolicy(policy); ok && row.HAProxy != nil {
		return row.HAProxy(d)
	}
	return Native{Directive: "balance leastconn", Note: "HAProxy has no " + policy + "; least connections is the nearest policy it has"}
}

// ExternalConfig describes an nginx, HAProxy or Caddy instance in front of
// the workers.
type ExternalConfig struct {
	// Listen is the loopback host:port the balancer listens on.
	Listen string
	// Backends are the workers' host:port addresses.
	Backends []string
	// Policy and D name the stratbench policy to approximate.
	Policy string
	D      int
	// Dir holds the configuration, pid, log and temporary files.
	Dir string
}

// NginxConfig returns an nginx configuration for c: the nearest policy,
// keep-alive connections to the workers, passive health checks (a server
// that fails is left out for 2s), and one retry on another server after
// an error or timeout (nginx never retries non-idempotent requests).
func NginxConfig(c ExternalConfig) string {
	n := NginxPolicy(c.Policy, c.D)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Generated by stratbench run cluster --via nginx --policy %s", c.Policy)
	p("worker_processes auto;")
	p("daemon off;")
	p("pid %s;", filepath.Join(c.Dir, "nginx.pid"))
	p("error_log %s warn;", filepath.Join(c.Dir, "nginx-error.log"))
	p("events { worker_connections 4096; }")
	p("http {")
	p("  access_log off;")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		p("  %s_temp_path %s;", t, filepath.Join(c.Dir, "nginx-"+t))
	}
	p("  upstream workers {")
	// The group's state (each server's active connections, failures) in
	// shared memory: without a zone every worker process balances with
	// counts of its own requests only, which is not least_conn of the
	// whole but as many least_conn dispatchers as processes, each blind
	// to the others' requests.
	p("    zone workers 1m;")
	p("    %s", n.Directive)
	for _, a := range c.Backends {
		p("    server %s max_fails=1 fail_timeout=2s;", a)
	}
	p("    keepalive 1024;")
	p("  }")
	p("  server {")
	p("    listen %s backlog=4096;", c.Listen)
	p("    location / {")
	p("      proxy_pass http://workers;")
	p("      proxy_http_version 1.1;")
	p(`      proxy_set_header Connection "";`)
	p("      proxy_connect_timeout 1s;")
	p("      proxy_read_timeout 60s;")
	p("      proxy_next_upstream error timeout;")
	p("      proxy_next_upstream_tries 2;")
	p("    }")
	p("  }")
	p("}")
	return b.String()
}

// HAProxyConfig returns an HAProxy configuration for c: the nearest
// policy, connection reuse, active health checks (GET /healthz every 200ms,
// down after 2 failures, up after 2 successes), and one retry on another
// server after a connection failure or an empty response.
func HAProxyConfig(c ExternalConfig) string {
	n := HAProxyPolicy(c.Policy, c.D)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Generated by stratbench run cluster --via haproxy --policy %s", c.Policy)
	p("global")
	// HAProxy needs two descriptors a connection and refuses to start if
	// it cannot raise its limit that far.
	p("    maxconn %d", haproxyMaxConn())
	p("    stats socket %s mode 600 level admin", filepath.Join(c.Dir, "haproxy.sock"))
	p("defaults")
	p("    mode http")
	p("    timeout connect 1s")
	p("    timeout client 60s")
	p("    timeout server 60s")
	p("    timeout http-keep-alive 60s")
	p("    option http-keep-alive")
	p("    retries 1")
	p("    option redispatch 1")
	p("    retry-on conn-failure empty-response")
	p("frontend stratbench")
	p("    bind %s", c.Listen)
	p("    default_backend workers")
	p("backend workers")
	p("    %s", n.Directive)
	p("    option httpchk GET %s", worker.HealthPath)
	p("    http-reuse always")
	p("    default-server check inter 200ms fall 2 rise 2")
	for i, a := range c.Backends {
		p("    server w%d %s", i, a)
	}
	return b.String()
}

// CaddyConfig returns a Caddy configuration (its native JSON) for c: one
// server on c.Listen whose only route is a reverse proxy to the workers
// with the nearest selection policy, as nginx's and HAProxy's are: up to
// 1024 idle keep-alive connections to each worker, kept 60s; passive
// health checks (a worker whose request fails is left out for 2s, as
// nginx's max_fails=1 fail_timeout=2s); one retry on another worker after
// a failure to connect (Caddy retries only those, whatever the method);
// dial timeout 1s. Nothing is logged but errors, to stderr (the run's
// log): no access log, no admin endpoint, no configuration saved, no HTTPS
// or certificates, its storage in c.Dir.
func CaddyConfig(c ExternalConfig) (string, error) {
	n := CaddyPolicy(c.Policy, c.D)
	type obj = map[string]any
	ups := make([]obj, len(c.Backends))
	for i, a := range c.Backends {
		ups[i] = obj{"dial": a}
	}
	proxy := obj{
		"handler":   "reverse_proxy",
		"upstreams": ups,
		"load_balancing": obj{
			"selection_policy": json.RawMessage(n.Directive),
			"retries":          1,
		},
		"health_checks": obj{"passive": obj{"fail_duration": "2s", "max_fails": 1}},
		"transport": obj{
			"protocol":     "http",
			"dial_timeout": "1s",
			"keep_alive":   obj{"enabled": true, "max_idle_conns_per_host": 1024, "idle_timeout": "60s"},
		},
	}
	conf := obj{
		"admin":   obj{"disabled": true, "config": obj{"persist": false}},
		"logging": obj{"logs": obj{"default": obj{"level": "ERROR", "writer": obj{"output": "stderr"}}}},
		"storage": obj{"module": "file_system", "root": filepath.Join(c.Dir, "caddy-data")},
		"apps": obj{"http": obj{
			"grace_period": "1s",
			"servers": obj{"stratbench": obj{
				"listen":          []string{c.Listen},
				"automatic_https": obj{"disable": true},
				"routes":          []obj{{"handle": []obj{proxy}}},
			}},
		}},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return "", fmt.Errorf("caddy configuration for %s (selection policy %s): %w", c.Policy, n.Directive, err)
	}
	return string(b) + "\n", nil
}

// haproxyMaxConn is HAProxy's connection limit for this process's limit
// of open files.
func haproxyMaxConn() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Max > 1<<20 {
		return 10000
	}
	return int(min(max((int64(rl.Max)-200)/2, 256), 10000))
}

// FindBinary finds an external program (nginx, haproxy, caddy, wrk) on
// PATH or in /usr/sbin; when it is missing the error names the Debian
// package.
func FindBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	pkg := name
	if e, ok := lookupExternal(name); ok {
		pkg = e.pkg
	}
	return "", &MissingError{Name: name, Package: pkg}
}

// MissingError says that an external program is not installed.
type MissingError struct{ Name, Package string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not installed; on Debian or Ubuntu: apt-get install %s", e.Name, e.Package)
}

// freePort returns a loopback address with a port that was free a moment
// ago (an external balancer cannot announce the port it chose).
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	a := ln.Addr().String()
	ln.Close()
	return a, nil
}

// externalCommand writes the configuration of e into c.Dir and returns the
// command line that runs it in the foreground, checked first.
func externalCommand(e *external, c ExternalConfig) ([]string, error) {
	bin, err := FindBinary(e.name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(c.Dir, e.file)
	conf, err := e.config(c)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	check := e.check(bin, path, c.Dir)
	cmd := exec.Command(check[0], check[1:]...)
	if e.env != nil {
		cmd.Env = append(os.Environ(), e.env(c.Dir)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s rejects the generated configuration %s: %v: %s", e.name, path, err, strings.TrimSpace(string(out)))
	}
	return e.run(bin, path, c.Dir), nil
}

// haproxyStats reads HAProxy's counters from its stats socket in dir:
// requests dispatched per server, retries and redispatches.
func haproxyStats(dir string, addrs []string) func(*metrics.Result) {
	sock := filepath.Join(dir, "haproxy.sock")
	return func(res *metrics.Result) {
		ss, err := ReadHAProxyStats(sock)
		if err != nil {
			res.Warnings = append(res.Warnings, "reading HAProxy's counters: "+err.Error())
			return
		}
		disp := make([]float64, len(addrs))
		var retries, redisp int64
		for _, s := range ss {
			var i int
			if _, err := fmt.Sscanf(s.Name, "w%d", &i); err == nil && i >= 0 && i < len(disp) {
				disp[i] = float64(s.Sessions)
			}
			retries += s.Retries
			redisp += s.Redisp
		}
		res.PerServer["dispatched"] = disp
		res.Metrics["retries"] = float64(max(retries, redisp))
	}
}

// HAProxyServerStats are the counters HAProxy keeps per server.
type HAProxyServerStats struct {
	Name     string
	Sessions int64 // stot: requests sent to the server
	Retries  int64 // wretr
	Redisp   int64 // wredis: requests redispatched to another server
	Status   string
}

// ReadHAProxyStats asks HAProxy's stats socket for the servers' counters.
func ReadHAProxyStats(socket string) ([]HAProxyServerStats, error) {
	conn, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, "show stat\n"); err != nil {
		return nil, err
	}
	return parseHAProxyStats(bufio.NewReader(conn))
}

func parseHAProxyStats(r io.Reader) ([]HAProxyServerStats, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s := strings.TrimPrefix(strings.TrimSpace(string(b)), "# ")
	cr := csv.NewReader(strings.NewReader(s))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("haproxy stats: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("haproxy stats: empty answer")
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	px, sv, stot, wretr, wredis, status := col("pxname"), col("svname"), col("stot"), col("wretr"), col("wredis"), col("status")
	if px < 0 || sv < 0 || stot < 0 || wretr < 0 || wredis < 0 || status < 0 {
		return nil, fmt.Errorf("haproxy stats: unexpected header %q", strings.Join(rows[0], ","))
	}
	num := func(row []string, i int) int64 {
		if i >= len(row) {
			return 0
		}
		n, _ := strconv.ParseInt(row[i], 10, 64)
		return n
	}
	var out []HAProxyServerStats
	for _, row := range rows[1:] {
		if len(row) <= status || row[px] != "workers" || row[sv] == "BACKEND" || row[sv] == "FRONTEND" {
			continue
		}
		out = append(out, HAProxyServerStats{
			Name: row[sv], Sessions: num(row, stot), Retries: num(row, wretr), Redisp: num(row, wredis), Status: row[status],
		})
	}
	return out, nil
}

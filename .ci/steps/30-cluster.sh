#!/usr/bin/env bash
# Cluster mode through real balancers (issues 7, 17): installs nginx,
# HAProxy, Caddy and wrk from Debian's packages without letting their
# default services start (stratbench starts its own instances, with
# generated configurations, on loopback ports), then runs the cluster tests
# that need them and a short `run cluster` through each balancer, with a
# worker killed mid-run.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	# Keep the packages' services from starting: invoke-rc.d asks policy-rc.d,
	# and 101 means "action forbidden". Only a file we created is removed.
	made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	cleanup() { if [ -n "$made_policy" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi; }
	trap cleanup EXIT
	$sudo apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
	# Belt and braces: if a default instance started anyway, stop it (it
	# would hold port 80, which we never use, but it is not ours to leave).
	for svc in nginx haproxy caddy; do
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
			$sudo systemctl stop "$svc" || true
			$sudo systemctl disable "$svc" >/dev/null 2>&1 || true
		elif [ -x "/etc/init.d/$svc" ]; then
			$sudo "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		fi
	done
fi
export PATH=$PATH:/usr/sbin
nginx -v
haproxy -v 2>&1 | sed -n 1p
caddy version

# The tests that skip without nginx, HAProxy or Caddy, now that they are
# here (the main test run may have come before the install).
go test -count=1 -run 'TestRunVia|TestRunKillWorker|TestNoOrphans|TestExternalConfigsAccepted' ./cluster/
go test -count=1 -run 'TestClusterJSON' ./cmd/stratbench/

# The balancer's security suite (issue 14; raw sockets on 127.0.0.1 only,
# misbehaving backends, smuggling variants, slowloris, 2,000 idle
# connections, overload, 8 x 128 MB headers with the RSS checked), named
# here so that a failure says which area broke, and a short fuzz of the
# request path against net/http's parser.
go test -race -count=1 -run 'TestStray|TestHuge|TestOversized|TestSlow|TestClientFaults|TestBadRequest|TestUnderscore|TestPipelined|TestBody|TestFailureKinds|TestCentralQueue|TestBackendFirstByte|TestSmuggling|TestManyIdle|TestOverload|FuzzRequestPath' ./cluster/balancer/
go test -count=1 -run '^$' -fuzz '^FuzzRequestPath$' -fuzztime 20s ./cluster/balancer/

# A short run through each balancer, one worker killed mid-run; the command
# itself asserts that every request is accounted for.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; if [ -n "${made_policy:-}" ]; then ${sudo:-} rm -f /usr/sbin/policy-rc.d; fi' EXIT
go build -o "$tmp/stratbench" ./cmd/stratbench
for via in ours nginx haproxy caddy; do
	"$tmp/stratbench" run cluster --via "$via" --workers 3 --policy jsq --load 0.5 \
		--duration 3s --kill-worker-at 1s --quiet --format json --out "$tmp/$via.jsonl"
	grep -q '"engine":"harness"' "$tmp/$via.jsonl"
	echo "run cluster --via $via: ok"
done

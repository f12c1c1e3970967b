#!/usr/bin/env bash
# Reports (issue 5): installs Debian's Chromium, then runs the end-to-end
# test that opens a generated index.html in headless Chromium, checks that
# every chart loaded and no error shows, and keeps a screenshot under
# out/e2e/ (ignored by git; CI keeps it as an artifact). The test skips
# when Chromium is missing locally; here it must run, so it is required.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q >/dev/null
	# fonts-liberation gives the page's fallback sans-serif font.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-liberation >/dev/null
fi
chromium --version

STRATBENCH_REQUIRE_CHROMIUM=1 go test -count=1 -run '^TestE2EChromium$' -v ./reports/ | tail -n 5
test -s out/e2e/screenshot.png
echo "screenshot: out/e2e/screenshot.png; report: out/e2e/report/index.html"

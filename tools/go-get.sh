#!/usr/bin/env bash
# Adds or upgrades a dependency of the host module: go get and go mod tidy
# resolve github.com/hookferry/hookferry/sdk at the version go.mod requires,
# which is not published until a release tags sdk/vX.Y.Z, so this points
# them at ./sdk for the duration and takes the replace out again (go.mod
# never keeps one: `go install ...@version` refuses modules with replaces).
#   bash tools/go-get.sh github.com/some/module@v1.2.3
set -euo pipefail
cd "$(dirname "$0")/.."
go mod edit -replace github.com/hookferry/hookferry/sdk=./sdk
trap 'go mod edit -dropreplace github.com/hookferry/hookferry/sdk' EXIT
GOWORK=off go get "$@"
GOWORK=off go mod tidy

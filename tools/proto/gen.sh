#!/usr/bin/env bash
# Regenerates sdk/internal/proto/hookferry/v1 from hookferry.proto with pinned
# generators. Run from anywhere: bash tools/proto/gen.sh
# Needs protoc (Debian: apt-get install protobuf-compiler; 3.21 used here).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOBIN="${GOBIN:-$(go env GOPATH)/bin}"
export PATH="$GOBIN:$PATH"
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
protoc --proto_path=sdk/internal/proto \
  --go_out=sdk/internal/proto --go_opt=paths=source_relative \
  --go-grpc_out=sdk/internal/proto --go-grpc_opt=paths=source_relative \
  hookferry/v1/hookferry.proto
echo "generated sdk/internal/proto/hookferry/v1"

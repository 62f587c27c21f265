// Package deploy holds no Go code: it is where the container image
// (Dockerfile), the systemd unit (hookferry.service) and their tests live.
// release_test.go builds the release binary with the exact go build line
// of the Dockerfile and checks that .goreleaser.yaml links the same build
// information. prometheus/alerts.yml (alert rules) and grafana/hookferry.json
// (a dashboard) use only exported metric names, which a test in
// core/internal/telemetry checks. docs/operations.md documents all of them.
package deploy

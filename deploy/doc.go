// Package deploy holds no Go code: it is where the container image
// (Dockerfile), the systemd unit (hookferry.service) and their tests live.
// release_test.go builds the release binary with the exact go build line
// of the Dockerfile and checks that .goreleaser.yaml links the same build
// information. docs/operations.md documents both.
package deploy

// Command hookferry-plugin-mattermost is a complete third-party hookferry
// plugin: a "mattermost" sink that posts messages to a Mattermost incoming
// webhook. It imports only github.com/hookferry/hookferry/sdk (and its
// sub-packages), exactly as a plugin in its own repository would.
//
//	go build -o hookferry-plugin-mattermost ./plugins/examples/mattermost
package main

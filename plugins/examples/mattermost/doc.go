// Command hookbridge-plugin-mattermost is a complete third-party hookbridge
// plugin: a "mattermost" sink that posts messages to a Mattermost incoming
// webhook. It imports only github.com/hookbridge/hookbridge/sdk (and its
// sub-packages), exactly as a plugin in its own repository would.
//
//	go build -o hookbridge-plugin-mattermost ./plugins/examples/mattermost
package main

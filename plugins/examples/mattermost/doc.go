// Command hookferry-plugin-mattermost is a complete third-party hookferry
// plugin: a "mattermost" sink that posts messages to a Mattermost incoming
// webhook, or through the REST API (its channel lookup uses the host's
// HTTP client, so hookferry's egress policy applies). It is a module of its
// own requiring only github.com/hookferry/hookferry/sdk, exactly as a
// plugin in its own repository would.
//
//	cd plugins/examples/mattermost && go build -o hookferry-plugin-mattermost .
package main

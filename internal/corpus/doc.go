// Package corpus locates the payload corpus that the repository carries in
// testdata/corpus (real GitHub, Stripe, Slack and GitLab webhook bodies,
// each upstream's licence beside its files) for tests and benchmarks.
package corpus

// Package corpus locates the shared payload corpus (../shared/corpus beside
// the repository: real GitHub, Stripe, Slack and GitLab webhook bodies with
// their licences) for tests and benchmarks. The corpus is never copied into
// the repository.
package corpus

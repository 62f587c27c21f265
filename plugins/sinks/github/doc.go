// Package github is the built-in "github" sink: it calls the GitHub
// REST API for one repository, with the action chosen in the config
// (repository_dispatch, issue_comment, create_issue, commit_status) and
// the fields from the transform's output. Rate limits are honoured:
// 403/429 with x-ratelimit-remaining: 0 retry at x-ratelimit-reset,
// secondary limits with Retry-After retry after it, and those without
// (recognised by GitHub's message) after a minute, doubling while they
// persist; 401, 404 and 422 are permanent.
//
// Of this repository it imports only plugins/internal/attr, sdk,
// sdk/schema; outside the standard library, github.com/golang-jwt/jwt/v5.
package github

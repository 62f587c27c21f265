# GitLab -> Slack, with scripts/gitlab_to_slack.js: pushes with their
# commits, tag pushes, merge requests (opened, merged, closed, approved) and
# failed pipelines with their failed jobs.
#
# In GitLab: Settings > Webhooks, URL https://YOUR-HOST/hooks/gitlab, secret
# token from GITLAB_WEBHOOK_TOKEN, triggers: push, tag push, merge request,
# pipeline events.
#
#   GITLAB_WEBHOOK_TOKEN=... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/gitlab-to-slack.hcl

pipeline "gitlab-to-slack" {
  source "gitlab" {
    path    = "/hooks/gitlab"
    secrets = [env("GITLAB_WEBHOOK_TOKEN")]
    events  = ["push", "tag_push", "merge_request.*", "pipeline"]
  }

  transform "javascript" {
    file = "../scripts/gitlab_to_slack.js"
  }

  sink "slack" "eng" {
    webhook_url = env("SLACK_WEBHOOK_URL")
  }
}

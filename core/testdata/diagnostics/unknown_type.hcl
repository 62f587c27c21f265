pipeline "p" {
  source "githubb" {
    path = "/hooks/p"
  }
  transform "lua" {}
  sink "slackk" "out" {}
}

# An admin API reachable from the network must have a token.
admin {
  listen = "0.0.0.0:8089"
}

pipeline "p" {
  source "http" {
    path = "/hooks/p"
  }
  sink "log" "out" {}
}

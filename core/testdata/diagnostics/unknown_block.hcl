server {
  listen = "127.0.0.1:0"
}

metrics {
  port = 9100
}

pipeline "p" {
  source "http" {
    path                  = "/hooks/p"
    allow_unauthenticated = true
  }
  filter "x" {}
  sink "log" "out" {}
}

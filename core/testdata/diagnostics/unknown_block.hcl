server {
  listen = "127.0.0.1:0"
}

queue {
  url = "nats://127.0.0.1:4222"
}

pipeline "p" {
  source "http" {
    path = "/hooks/p"
  }
  filter "x" {}
  sink "log" "out" {}
}

pipeline "p" {
  source "http" {
    path                  = "/hooks/p"
    secrets               = ["x"]
    allow_unauthenticated = true
  }
  sink "log" "out" {
    colour = "blue"
  }
}

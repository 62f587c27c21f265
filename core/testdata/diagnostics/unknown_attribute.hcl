pipeline "p" {
  source "http" {
    path    = "/hooks/p"
    secrets = ["x"]
  }
  sink "log" "out" {
    colour = "blue"
  }
}

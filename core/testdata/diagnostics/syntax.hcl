pipeline "p" {
  source "http" {
    path = "/hooks/p"
  }
  sink "log" "out" {

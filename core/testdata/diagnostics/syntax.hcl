pipeline "p" {
  source "http" {
    path = "/hooks/p"
    allow_unauthenticated = true
  }
  sink "log" "out" {

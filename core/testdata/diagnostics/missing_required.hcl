pipeline "p" {
  source "http" {
    allow_unauthenticated = true
  }
  sink "http" "out" {
  }
}

pipeline "q" {
}

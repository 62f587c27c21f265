pipeline "p" {
  source "http" {
  }
  sink "http" "out" {
  }
}

pipeline "q" {
}

pipeline "p" {
  source "http" {
    path = "/hooks/same"
  }
  sink "log" "out" {}
  sink "log" "out" {}
}

pipeline "p" {
  source "http" {
    path = "/hooks/other"
  }
  sink "log" "out" {}
}

pipeline "q" {
  source "http" {
    path = "/hooks/same"
  }
  sink "log" "out" {}
}

pipeline "p" {
  source "http" {
    path                  = "/hooks/same"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
  sink "log" "out" {}
}

pipeline "p" {
  source "http" {
    path                  = "/hooks/other"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}

pipeline "q" {
  source "http" {
    path                  = "/hooks/same"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}

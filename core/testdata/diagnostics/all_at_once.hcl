# Several unrelated mistakes: validate must report every one of them.
pipeline "a" {
  source "http" {
    path                  = "/hooks/a"
    bogus                 = true
    allow_unauthenticated = true
  }
  sink "nope" "x" {}
}

pipeline "b" {
  source "http" {
    path                  = "/hooks/a"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = "function transform(e) {"
  }
  sink "http" "y" {
    timeout = 5
  }
}

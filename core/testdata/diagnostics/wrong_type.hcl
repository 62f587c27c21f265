server {
  max_concurrency = "lots"
  read_timeout    = "ten seconds"
  max_body_size   = "huge"
}

pipeline "p" {
  source "http" {
    path                  = "/hooks/p"
    methods               = "POST"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url     = "http://127.0.0.1:9/"
    headers = ["not", "a", "map"]
    retry {
      max_attempts = 0
    }
  }
}

# One block with several mistakes: an unknown attribute does not hide the
# others (the component's own checks, the host's checks).
egress {
  deny_private = true
}

pipeline "p" {
  source "http" {
    path   = "hooks/no-slash"
    allow_unauthenticated = true
    colour = "blue"
    events = []
  }
  sink "http" "out" {
    url         = "http://10.0.0.1:8080/hook"
    method      = "GET"
    bogus       = 1
    ordered     = true
    concurrency = 4
  }
  sink "http" "creds" {
    url = "https://user:pw@example.test:70000/hook"
  }
}

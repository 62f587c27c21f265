pipeline "p" {
  source "http" {
    path = "hooks/no-slash"
    token {
      secrets = []
    }
  }
  transform "javascript" {
    file    = "../scripts/ok.js"
    timeout = "forever"
  }
  sink "http" "out" {
    url    = "ftp://example.test/"
    method = "GET"
  }
}

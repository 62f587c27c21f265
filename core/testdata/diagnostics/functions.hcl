pipeline "p" {
  source "http" {
    path                  = env("HOOKFERRY_TEST_SURELY_UNSET")
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = file("missing.txt")
  }
}

pipeline "p" {
  source "http" {
    path = env("HOOKFERRY_TEST_SURELY_UNSET")
  }
  sink "http" "out" {
    url = file("missing.txt")
  }
}

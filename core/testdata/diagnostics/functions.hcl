pipeline "p" {
  source "http" {
    path = env("HOOKBRIDGE_TEST_SURELY_UNSET")
  }
  sink "http" "out" {
    url = file("missing.txt")
  }
}

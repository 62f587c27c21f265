# Any Standard Webhooks sender (Svix, Resend, Clerk, ...): verify and log.
#
#   STANDARD_WEBHOOKS_SECRET=whsec_... go run ./cmd/hookferry run -c configs/standard-webhooks.hcl

pipeline "standard-webhooks" {
  source "standardwebhooks" {
    path    = "/hooks/standard"
    secrets = [env("STANDARD_WEBHOOKS_SECRET")]
  }

  sink "log" "stdout" {}
}

# Stripe -> GitHub: a paid invoice triggers a repository_dispatch workflow
# (on: repository_dispatch: types: [invoice-paid]).
#
#   STRIPE_WEBHOOK_SECRET=whsec_... GITHUB_TOKEN=... \
#     go run ./cmd/hookferry run -c configs/stripe-to-github-dispatch.hcl

pipeline "stripe-to-github" {
  source "stripe" {
    path    = "/hooks/stripe"
    secrets = [env("STRIPE_WEBHOOK_SECRET")]
    events  = ["invoice.paid"]
  }

  transform "javascript" {
    code = <<-JS
      function transform(event) {
        const invoice = event.body.data.object;
        return {
          event_type: "invoice-paid",
          client_payload: { invoice: invoice.id, customer: invoice.customer, amount: invoice.amount_paid },
        };
      }
    JS
  }

  sink "github" "actions" {
    token      = env("GITHUB_TOKEN")
    repository = "acme/billing"
    action     = "repository_dispatch"
  }
}

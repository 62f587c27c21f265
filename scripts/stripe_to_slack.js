// stripe_to_slack.js: a Slack message for any Stripe event. Used by
// configs/stripe-to-slack.hcl.
function transform(event) {
  const obj = (event.body.data && event.body.data.object) || {};
  const amount = typeof obj.amount === "number" && obj.currency
    ? ` ${(obj.amount / 100).toFixed(2)} ${String(obj.currency).toUpperCase()}`
    : "";
  const mode = event.body.livemode ? "" : " (test mode)";
  return {
    text: `Stripe ${event.type}: ${obj.object || "object"} ${obj.id || ""}${amount}${mode}`,
  };
}

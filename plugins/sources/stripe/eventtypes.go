package stripe

// prefixes are the first segments of Stripe's event types ("invoice" of
// "invoice.paid", "customer" of "customer.subscription.created"), from
// the event types of Stripe's API reference.
var prefixes = []string{
	"account", "application_fee", "balance", "balance_settings", "billing", "billing_portal",
	"capability", "cash_balance", "charge", "checkout", "climate", "coupon", "credit_note",
	"customer", "customer_cash_balance_transaction", "entitlements", "file", "financial_connections",
	"identity", "invoice", "invoice_payment", "invoiceitem", "issuing_authorization", "issuing_card",
	"issuing_cardholder", "issuing_dispute", "issuing_personalization_design", "issuing_token",
	"issuing_transaction", "mandate", "payment_intent", "payment_link", "payment_method", "payout",
	"person", "plan", "price", "product", "promotion_code", "quote", "radar", "refund", "reporting",
	"review", "setup_intent", "sigma", "source", "subscription_schedule", "tax", "tax_rate",
	"terminal", "test_helpers", "topup", "transfer", "treasury", "v1", "v2",
}

// EventTypes covers every type the source names: "PREFIX.*" for each.
func EventTypes() []string {
	out := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, p+".*")
	}
	return out
}

package shopify

// resources are the first segments of Shopify's webhook topics
// ("orders" of "orders/create"), from the topic list of Shopify's Admin
// API reference.
var resources = []string{
	"app", "app_purchases_one_time", "app_subscriptions", "audit_events", "bulk_operations",
	"carts", "channels", "checkouts", "collection_listings", "collection_publications",
	"collections", "companies", "company_contact_roles", "company_contacts", "company_locations",
	"customer_account_settings", "customer_groups", "customer_payment_methods", "customer_tags",
	"customers", "customers_email_marketing_consent", "customers_marketing_consent",
	"delivery_promise_settings", "discounts", "disputes", "domains", "draft_orders",
	"finance_app_staff_member", "finance_kyc_information", "fulfillment_events", "fulfillment_holds",
	"fulfillment_orders", "fulfillments", "inventory_items", "inventory_levels", "locales",
	"locations", "markets", "markets_backup_region", "metafield_definitions", "metaobjects",
	"order_transactions", "orders", "payment_schedules", "payment_terms", "product_feeds",
	"product_listings", "product_publications", "products", "profiles", "publications", "refunds",
	"returns", "reverse_deliveries", "reverse_fulfillment_orders", "scheduled_product_listings",
	"segments", "selling_plan_groups", "shop", "subscription_billing_attempts",
	"subscription_billing_cycle_edits", "subscription_billing_cycles", "subscription_contracts",
	"tax_partners", "tax_services", "tender_transactions", "themes", "variants",
}

// EventTypes covers every topic the source names: "RESOURCE/*" for each,
// and the few topics written with a dot ("customer.tags_added").
func EventTypes() []string {
	out := make([]string, 0, len(resources)+1)
	for _, r := range resources {
		out = append(out, r+"/*")
	}
	return append(out, "customer.*")
}

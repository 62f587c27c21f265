// shopify_to_slack.js: Shopify order webhooks -> a Slack message (Block Kit
// blocks with a plain-text fallback). Used by configs/shopify-to-slack.hcl.
//
// event.type is the X-Shopify-Topic header. Messages for orders/create
// (and, with the same layout, orders/paid, orders/cancelled,
// orders/fulfilled); any other topic gets one generic line.
//
// Shopify ids are 64-bit (820982911946154508) and lose their last digits
// as JavaScript numbers, so ids are never read from the numeric `id`
// fields: the admin link takes the id from admin_graphql_api_id, a string
// ("gid://shopify/Order/820982911946154508"). Prices are strings ("199.00")
// and are shown as given, never recomputed.
//
// User text (names, notes, product titles) is escaped for Slack's mrkdwn
// and everything is cut to Slack's limits.

const TITLES = {
  "orders/create": [":shopping_trolley:", "New order"],
  "orders/paid": [":moneybag:", "Order paid"],
  "orders/cancelled": [":no_entry_sign:", "Order cancelled"],
  "orders/fulfilled": [":package:", "Order fulfilled"],
};

function transform(event) {
  const o = event.body || {};
  const shop = event.headers["x-shopify-shop-domain"] || "";
  const t = TITLES[event.type];
  const name = o.name || (o.order_number != null ? "#" + o.order_number : "order");
  const admin = adminURL(shop, o.admin_graphql_api_id, "orders");
  if (!t) {
    return slackMessage(`Shopify ${event.type} ${name} in ${shop || "your shop"}`, [
      section(`*${esc(event.type, 100)}*: ${link(admin, esc(name, 200))}${shop ? " in " + esc(shop, 200) : ""}`),
    ]);
  }
  const currency = o.presentment_currency || o.currency || "";
  const total = o.current_total_price || o.total_price;
  const c = o.customer || {};
  const who = [c.first_name, c.last_name].filter(Boolean).join(" ");
  const email = o.email || o.contact_email || c.email;
  const items = o.line_items || [];
  const count = items.reduce((n, li) => n + (typeof li.quantity === "number" ? li.quantity : 1), 0);
  const ship = o.shipping_address || {};
  const shipTo = [ship.city, ship.province_code, ship.country_code || ship.country].filter(Boolean).join(", ");
  const lines = items.slice(0, 30).map(li =>
    `• ${li.quantity > 1 ? li.quantity + " × " : ""}${esc(li.name || li.title, 200)}${li.sku ? " (`" + esc(li.sku, 60) + "`)" : ""} — ${esc(li.price, 30)} ${esc(currency, 10)}`);

  const fields = [
    field("Total", `*${esc(total, 30)} ${esc(currency, 10)}*`),
    field("Customer", [who ? esc(who, 200) : "", email ? esc(email, 200) : ""].filter(Boolean).join("\n") || "guest"),
    field("Items", `${count}`),
    field("Payment", esc(String(o.financial_status || "").replace(/_/g, " "), 100)),
    field("Fulfillment", esc(String(o.fulfillment_status || "unfulfilled").replace(/_/g, " "), 100)),
    field("Ship to", esc(shipTo, 300)),
  ];
  if (event.type === "orders/cancelled" && o.cancel_reason) fields.push(field("Reason", esc(o.cancel_reason, 200)));
  if (o.note) fields.push(field("Note", esc(o.note, 1000)));

  return slackMessage(`${t[1]} ${name}: ${total} ${currency}${who ? " from " + who : ""}${o.test ? " (test)" : ""}`, [
    header(`${t[0]} ${t[1]} ${name} — ${total} ${currency}`),
    fieldsSection(fields),
    lines.length ? section(list(lines, items.length, SLACK.section)) : null,
    context([shop ? esc(shop, 200) : "", admin ? link(admin, "Open in Shopify admin") : "", o.test ? "test order" : ""]),
  ]);
}

// adminURL builds the admin link from the shop's myshopify.com domain (the
// X-Shopify-Shop-Domain header) and a GraphQL id string, never from the
// numeric id (which JavaScript cannot hold exactly).
function adminURL(shop, gid, path) {
  const m = /\/(\d+)$/.exec(String(gid || ""));
  if (!shop || !m) return "";
  const store = /^([a-z0-9][a-z0-9-]*)\.myshopify\.com$/i.exec(shop);
  return store ? `https://admin.shopify.com/store/${store[1]}/${path}/${m[1]}` : "";
}

function field(name, value) {
  return value ? { type: "mrkdwn", text: fit(`*${name}*\n${value}`, 2000) } : null;
}

function fieldsSection(fields) {
  fields = fields.filter(Boolean).slice(0, 10);
  return fields.length ? { type: "section", fields: fields } : null;
}

// ---- Slack helpers (the same in every *_to_slack.js script) ----

const SLACK = { blocks: 50, section: 3000, header: 150, context: 10, text: 3000 };

// esc escapes user text for mrkdwn (&, <, > as Slack asks) and keeps it
// within n characters, cut with an ellipsis, never inside an escape.
function esc(s, n) {
  s = s == null ? "" : String(s);
  const full = s.slice(0, n + 1).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if (full.length <= n) return full;
  return full.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "").replace(/&[a-z]*$/, "") + "…";
}

// plain cuts text for plain_text fields (not parsed, so not escaped).
function plain(s, n) {
  s = s == null ? "" : String(s);
  return s.length <= n ? s : s.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "") + "…";
}

// link is <url|label>; label must already be escaped.
function link(url, label) {
  if (!url) return label;
  return "<" + String(url).replace(/&/g, "&amp;").replace(/[<>| ]/g, encodeURIComponent) + "|" + label + ">";
}

function firstLine(s) {
  return String(s == null ? "" : s).split("\n")[0];
}

// quote shows user text (a PR body, release notes) as a block quote.
function quote(s, n) {
  return esc(String(s).replace(/\r\n/g, "\n").trim(), n).split("\n").map(l => "> " + l).join("\n");
}

// list joins mrkdwn lines within n characters; total is how many items
// there are in all, so "…and N more" counts what was left out.
function list(lines, total, n) {
  const out = [];
  let len = 0;
  for (const l of lines) {
    if (len + l.length + 1 > n - 40) break;
    out.push(l);
    len += l.length + 1;
  }
  if (total > out.length) out.push(`…and ${total - out.length} more`);
  return out.join("\n");
}

// fit is the last guard for composed mrkdwn: cut at n without leaving half
// a <link|label> or half an escape.
function fit(t, n) {
  if (t.length <= n) return t;
  let c = t.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "");
  if (c.lastIndexOf("<") > c.lastIndexOf(">")) c = c.slice(0, c.lastIndexOf("<"));
  return c.replace(/&[a-z]*$/, "") + "…";
}

function section(text) {
  return text ? { type: "section", text: { type: "mrkdwn", text: fit(text, SLACK.section) } } : null;
}

function header(text) {
  return { type: "header", text: { type: "plain_text", text: plain(text, SLACK.header) || "-", emoji: true } };
}

function context(parts) {
  const elements = parts.filter(Boolean).slice(0, SLACK.context).map(t => ({ type: "mrkdwn", text: fit(t, SLACK.section) }));
  return elements.length ? { type: "context", elements: elements } : null;
}

// slackMessage is the message: the fallback text (raw, escaped here; shown
// in notifications) and at most 50 blocks.
function slackMessage(text, blocks) {
  blocks = blocks.filter(Boolean);
  if (blocks.length > SLACK.blocks) {
    const left = blocks.length - (SLACK.blocks - 1);
    blocks = blocks.slice(0, SLACK.blocks - 1).concat([context([`…and ${left} more`])]);
  }
  return { text: esc(text, SLACK.text) || "-", blocks: blocks };
}

// stripe_to_slack.js: Stripe events -> a Slack message (Block Kit blocks
// with a plain-text fallback). Used by configs/stripe-to-slack.hcl.
//
// event.type is the Stripe event type. Messages for: payments succeeded and
// failed (payment_intent.succeeded, payment_intent.payment_failed), disputes
// opened (charge.dispute.created), subscriptions created and cancelled
// (customer.subscription.created, customer.subscription.deleted). Any other
// event gets one generic line. Amounts are shown in the currency's major
// unit (zero- and three-decimal currencies included); every object links to
// the Stripe dashboard (test mode links when the event is not live).
//
// User text (descriptions, decline messages, cancellation comments) is
// escaped for Slack's mrkdwn and everything is cut to Slack's limits.

function transform(event) {
  const e = event.body || {};
  const o = (e.data && e.data.object) || {};
  const dash = "https://dashboard.stripe.com/" + (e.livemode ? "" : "test/");
  const mode = e.livemode ? "" : " (test mode)";
  const foot = context([`${esc(event.type, 100)} · ${link(dash + "events/" + encodeURIComponent(e.id || ""), esc(e.id, 100))}${e.livemode ? "" : " · test mode"}`]);

  switch (event.type) {
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed": {
      const ok = event.type === "payment_intent.succeeded";
      const amount = money(ok && typeof o.amount_received === "number" && o.amount_received > 0 ? o.amount_received : o.amount, o.currency);
      const err = o.last_payment_error || {};
      const fields = [
        field("Amount", esc(amount, 100)),
        field("Customer", customer(o.customer, dash) || esc(o.receipt_email, 200)),
        field("Description", esc(o.description, 500)),
        field("Payment", link(dash + "payments/" + encodeURIComponent(o.id || ""), esc(o.id, 100))),
      ];
      if (!ok) {
        fields.push(field("Decline", esc([err.code, err.decline_code].filter(Boolean).join(" / "), 200)));
        fields.push(field("Reason", esc(err.message, 1000)));
      }
      return slackMessage(`Payment of ${amount} ${ok ? "succeeded" : "failed"}${mode}`, [
        section(ok ? `:white_check_mark: Payment of *${esc(amount, 100)}* succeeded` : `:x: Payment of *${esc(amount, 100)}* failed`),
        fieldsSection(fields),
        foot,
      ]);
    }

    case "charge.dispute.created": {
      const amount = money(o.amount, o.currency);
      const due = o.evidence_details && o.evidence_details.due_by;
      return slackMessage(`Dispute opened: ${amount}, reason ${o.reason || "unknown"}${mode}`, [
        section(`:rotating_light: ${link(dash + "disputes/" + encodeURIComponent(o.id || ""), "Dispute")} opened for *${esc(amount, 100)}*`),
        fieldsSection([
          field("Reason", esc(String(o.reason || "").replace(/_/g, " "), 200)),
          field("Status", esc(String(o.status || "").replace(/_/g, " "), 200)),
          field("Evidence due", typeof due === "number" ? date(due) : ""),
          field("Charge", link(dash + "payments/" + encodeURIComponent(o.payment_intent || o.charge || ""), esc(o.charge, 100))),
        ]),
        foot,
      ]);
    }

    case "customer.subscription.created":
    case "customer.subscription.deleted": {
      const created = event.type === "customer.subscription.created";
      const items = (o.items && o.items.data) || [];
      const plans = items.slice(0, 10).map(it => {
        const pr = it.price || it.plan || {};
        const per = pr.recurring ? "/" + pr.recurring.interval : (pr.interval ? "/" + pr.interval : "");
        const amt = typeof pr.unit_amount === "number" ? pr.unit_amount : pr.amount;
        return `${it.quantity > 1 ? it.quantity + " × " : ""}${esc(pr.nickname || pr.product || pr.id, 200)}${typeof amt === "number" ? " " + esc(money(amt, pr.currency), 100) + per : ""}`;
      });
      if (items.length > plans.length) plans.push(`…and ${items.length - plans.length} more`);
      const cd = o.cancellation_details || {};
      const fields = [
        field("Customer", customer(o.customer, dash)),
        field("Status", esc(o.status, 100)),
        field(items.length > 1 ? "Items" : "Plan", plans.join("\n")),
        field("Subscription", link(dash + "subscriptions/" + encodeURIComponent(o.id || ""), esc(o.id, 100))),
      ];
      if (!created) {
        fields.push(field("Reason", esc([cd.reason, cd.feedback].filter(Boolean).join(", ").replace(/_/g, " "), 200)));
        fields.push(field("Comment", esc(cd.comment, 1000)));
      }
      return slackMessage(`Subscription ${created ? "created" : "cancelled"}${mode}`, [
        section(created ? ":tada: New subscription" : ":wave: Subscription cancelled"),
        fieldsSection(fields),
        foot,
      ]);
    }
  }

  // Everything else: one generic line.
  const amount = typeof o.amount === "number" && o.currency ? " " + money(o.amount, o.currency) : "";
  return slackMessage(`Stripe ${event.type}: ${o.object || "object"} ${o.id || ""}${amount}${mode}`, [
    section(`*${esc(event.type, 200)}*: ${esc(o.object || "object", 100)} \`${esc(o.id, 200)}\`${esc(amount, 100)}`),
    foot,
  ]);
}

// Stripe amounts are integers in the currency's minor unit.
const ZERO_DECIMAL = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
const THREE_DECIMAL = ["bhd", "jod", "kwd", "omr", "tnd"];

function money(amount, currency) {
  if (typeof amount !== "number" || !isFinite(amount) || !currency) return "";
  const cur = String(currency).toLowerCase();
  const digits = ZERO_DECIMAL.indexOf(cur) >= 0 ? 0 : (THREE_DECIMAL.indexOf(cur) >= 0 ? 3 : 2);
  let s = String(Math.abs(Math.round(amount)));
  while (s.length <= digits) s = "0" + s;
  const whole = s.slice(0, s.length - digits).replace(/\B(?=(\d{3})+$)/g, ",");
  return (amount < 0 ? "-" : "") + whole + (digits ? "." + s.slice(s.length - digits) : "") + " " + cur.toUpperCase();
}

// customer links a customer id (or an expanded customer) to the dashboard.
function customer(c, dash) {
  if (!c) return "";
  const id = typeof c === "string" ? c : c.id;
  const label = typeof c === "object" && (c.name || c.email) ? esc(c.name || c.email, 200) : esc(id, 100);
  return link(dash + "customers/" + encodeURIComponent(id || ""), label);
}

// date shows a Unix time in each reader's own time zone, with a fallback.
function date(t) {
  if (!isFinite(t) || Math.abs(t) > 8e12) return esc(String(t), 50);
  const iso = new Date(t * 1000).toISOString().slice(0, 10);
  return `<!date^${Math.floor(t)}^{date_short_pretty}|${iso}>`;
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

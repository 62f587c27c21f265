// demo.js: summarises any webhook. Used by configs/demo.hcl.
//
// transform(event) receives the accepted event: event.body is the parsed
// JSON body (the raw text when it is not JSON), event.headers has lower-case
// names, plus event.id, event.type, event.source, event.pipeline and
// event.received_at. Whatever it returns is the new body; null drops the
// event.
function transform(event) {
  const body = event.body;

  // Not JSON: pass a short text on.
  if (typeof body !== "object" || body === null) {
    return { summary: "text webhook", text: String(body).slice(0, 200) };
  }

  // A caller can ask for its event to be dropped.
  if (body.drop === true) {
    return null;
  }

  // A GitHub push: say who pushed what where.
  if (body.repository && Array.isArray(body.commits)) {
    return {
      summary: `${body.pusher ? body.pusher.name : "someone"} pushed ${body.commits.length} commit(s) to ${body.repository.full_name} (${body.ref})`,
      compare: body.compare,
    };
  }

  return {
    summary: `${event.type || "webhook"} with ${Object.keys(body).length} field(s)`,
    action: body.action,
    fields: Object.keys(body),
    received_at: event.received_at,
  };
}

// split_items.js: one message per element of body.items; anything else
// passes through unchanged. Used by configs/forward.hcl.
function transform(event) {
  const body = event.body;
  if (body && Array.isArray(body.items)) {
    return split(body.items.map((item, i) => ({ index: i, of: body.items.length, item })));
  }
  return body;
}

function helper(x) {
  return x.missing.field;
}

function transform(event) {
  return helper(event.body);
}

function transform(event) {
  return event.body;
}

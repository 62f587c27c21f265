// A script with a syntax error on line 4.
function transform(event) {
  return {
    text: event.body.title +,
  };
}

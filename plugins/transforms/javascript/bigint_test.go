package javascript

import (
	"context"
	"strings"
	"testing"
)

// shopifyOrder is shaped like Shopify's orders/create payload: its ids are
// above 2^53, which JSON.parse would round (820982911946154508 becomes
// 820982911946154500).
const shopifyOrder = `{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00",` +
	`"line_items":[{"id":866550311766439020,"variant_id":808950810,"quantity":1,"price":"199.00"}],` +
	`"customer":{"id":115310627314723954,"tags":""},"small":9007199254740991,"neg":-9007199254740993,` +
	`"huge":123456789012345678901234567890,"exp":1e20,"frac":0.5}`

// TestUntouchedBigIntegersLeaveByteForByte: the Shopify example's script
// (configs/shopify-orders.hcl) passes the order through; every id comes out
// exactly as it came in.
func TestUntouchedBigIntegersLeaveByteForByte(t *testing.T) {
	tr := newT(t, `function transform(event) {
  return message(event.body, { headers: { "X-Shopify-Topic": event.type } });
}`, nil)
	for _, body := range []string{shopifyOrder, `{"s":"\ud800 unpaired","id":820982911946154508}`} {
		out, err := tr.Transform(context.Background(), jsonMsg(body))
		if err != nil {
			t.Fatal(err)
		}
		got := string(out[0].Body)
		for _, n := range []string{"820982911946154508", "866550311766439020", "115310627314723954", "-9007199254740993", "123456789012345678901234567890"} {
			if strings.Contains(body, n) && !strings.Contains(got, ":"+n) {
				t.Errorf("%s did not come out exactly:\n in  %s\n out %s", n, body, got)
			}
		}
	}
	out, err := tr.Transform(context.Background(), jsonMsg(shopifyOrder))
	if err != nil {
		t.Fatal(err)
	}
	// Numbers within the safe range are ordinary numbers and print as
	// JSON.stringify prints them.
	want := `{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00",` +
		`"line_items":[{"id":866550311766439020,"variant_id":808950810,"quantity":1,"price":"199.00"}],` +
		`"customer":{"id":115310627314723954,"tags":""},"small":9007199254740991,"neg":-9007199254740993,` +
		`"huge":123456789012345678901234567890,"exp":100000000000000000000,"frac":0.5}`
	if got := string(out[0].Body); got != want {
		t.Fatalf("body\n got  %s\n want %s", got, want)
	}
}

// TestScriptReadsBigIntegersExactly: an integer beyond 2^53-1 is a BigInt,
// so a script compares and prints it exactly; safe integers stay numbers.
func TestScriptReadsBigIntegersExactly(t *testing.T) {
	tr := newT(t, `function transform(e) {
  const id = e.body.id;
  return {
    type: typeof id,
    strict: id === 820982911946154508n,
    neighbour: id === 820982911946154509n,
    loose: id == "820982911946154508",
    text: String(id),
    template: `+"`order ${id}`"+`,
    next: id + 1n,
    small: typeof e.body.small,
    ids: e.body.line_items.map(li => li.id.toString()),
  };
}`, nil)
	out, err := tr.Transform(context.Background(), jsonMsg(shopifyOrder))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"bigint","strict":true,"neighbour":false,"loose":true,"text":"820982911946154508",` +
		`"template":"order 820982911946154508","next":820982911946154509,"small":"number","ids":["866550311766439020"]}`
	if got := string(out[0].Body); got != want {
		t.Fatalf("body\n got  %s\n want %s", got, want)
	}
}

// TestConsoleLogsBigIntegersExactly: JSON.stringify inside the script (and
// console.log of an object) writes a BigInt as a number, not an exception.
func TestScriptStringifiesBigIntegers(t *testing.T) {
	tr := newT(t, `function transform(e) { return JSON.stringify({id: e.body.id, n: 5n}); }`, nil)
	out, err := tr.Transform(context.Background(), jsonMsg(shopifyOrder))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out[0].Body); got != `{"id":820982911946154508,"n":5}` {
		t.Fatalf("body = %s", got)
	}
}

func TestUnsafeInteger(t *testing.T) {
	for text, want := range map[string]bool{
		"9007199254740991": false, "9007199254740992": true, "-9007199254740991": false, "-9007199254740992": true,
		"820982911946154508": true, "123456789012345": false, "1e20": false, "12345678901234567.0": false,
		"0": false, "-0": false, "100000000000000000000": true, "18446744073709551616": true, "0123456789012345678": false,
		"": false, "-": false,
	} {
		if got := unsafeInteger([]byte(text)); got != want {
			t.Errorf("unsafeInteger(%q) = %v, want %v", text, got, want)
		}
	}
}

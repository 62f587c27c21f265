package glob

// Overlap reports whether some string matches both patterns a and b (the
// intersection of what they match is not empty): "pull_request.opened"
// and "pull_request.*" overlap, "orders*" and "orders/*" do, "invoices.*"
// and "invoice.*" do not. It works on bytes (`?` is one byte), which is
// exact for the ASCII names event types use.
func Overlap(a, b string) bool {
	// seen[i][j] marks a state (rest a[i:], rest b[j:]) already explored.
	seen := make([]bool, (len(a)+1)*(len(b)+1))
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		k := i*(len(b)+1) + j
		if seen[k] {
			return false
		}
		seen[k] = true
		switch {
		case i == len(a) && j == len(b):
			return true
		case i < len(a) && a[i] == '*':
			// a's star matches nothing more, or also the next character b produces.
			return walk(i+1, j) || (j < len(b) && walk(i, j+1))
		case j < len(b) && b[j] == '*':
			return walk(i, j+1) || (i < len(a) && walk(i+1, j))
		case i < len(a) && j < len(b) && (a[i] == b[j] || a[i] == '?' || b[j] == '?'):
			return walk(i+1, j+1)
		}
		return false
	}
	return walk(0, 0)
}

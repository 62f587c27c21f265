// Package scripts holds the ready JavaScript transforms (the .js files
// beside this one, used by configs/) and the test that runs each of them,
// with the real javascript transform and the real slack or discord sink, on
// its fixtures in testdata/<script>/ and on the payload corpus. It has no
// code of its own.
package scripts

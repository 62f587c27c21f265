// Command hookferry receives webhooks, reshapes them with JavaScript and
// forwards them. It is the only package that touches the process: flags,
// environment, signals, standard streams and the exit code; everything
// else receives them.
package main

// Package catalog knows every component type a configuration may use and
// builds them: built-ins (handed over by plugins/all) and plugin-backed
// ones alike. It owns the built-in-or-plugin choice, the way Nomad's
// plugin loader does: it starts the plugins a configuration declares,
// starts a plugin found on the plugin path only when the configuration
// uses a component type of the binary's name, remembers which plugin
// provides which type, and stops them all on Close.
//
// Its registry is an explicit value, never a package global, so each test
// builds its own.
//
// It imports config (for the component blocks it builds), pluginhost and
// sdk.
package catalog

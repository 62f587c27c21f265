package pluginhost

// Spec is what the plugin was started from (a reload compares it with the
// new configuration's to decide whether to reuse the process).
func (p *Plugin) Spec() Spec { return p.spec }

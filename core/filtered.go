package core

// FilteredEvents reports how many verified events of a pipeline were
// answered 200 and not stored because their type matched none of the
// source's `events` patterns (for tests and, later, metrics).
func (e *Engine) FilteredEvents(pipelineName string) (n int64, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, p := range e.pipelines {
		if p.Name == pipelineName {
			return p.Filtered.Load(), true
		}
	}
	return 0, false
}

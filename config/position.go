package config

// File returns the name of the source c was parsed from, as given to Parse
// or Load; empty for a Config built in code.
func (c *Config) File() string {
	return c.file
}

// Position returns where the value at path is written in c's source, as
// 1-based line and column: for a scalar its own position, for a mapping or
// list the position of its key. Paths are written as Error.Path writes
// them, e.g. "policies.web.allow_origins[2]" or "routes[0].cors". When
// the value itself is not in the file (a key left out and defaulted), the
// position of its nearest ancestor is returned, as Validate does for its
// errors. ok is false when c was not parsed from text, or when nothing on
// the path is in the file.
func (c *Config) Position(path string) (line, col int, ok bool) {
	for p := path; p != ""; p = parent(p) {
		if pos, found := c.pos[p]; found {
			return pos.line, pos.col, true
		}
	}
	return 0, 0, false
}

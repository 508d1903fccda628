package rpc

import "slices"

// ProgramTable is a set of program descriptions found by program and
// version number: what a proxy or tracer decodes the calls and replies of
// the programs it knows with. Each protocol package lists its own
// (nfs3.Programs, mount.Programs, ...); package programs combines those of
// every protocol package. A table does not change once made, so it is safe
// for concurrent use; a nil *ProgramTable is empty.
type ProgramTable struct {
	progs []*Program // ordered by program and version, one per pair
}

// NewProgramTable returns a table of progs. Of two descriptions of the
// same program version the later one is kept.
func NewProgramTable(progs ...*Program) *ProgramTable {
	t := &ProgramTable{}
	for _, p := range progs {
		i, found := t.search(p.Prog, p.Vers)
		if found {
			t.progs[i] = p
			continue
		}
		t.progs = slices.Insert(t.progs, i, p)
	}
	return t
}

// search returns where version vers of program prog is or would be.
func (t *ProgramTable) search(prog, vers uint32) (int, bool) {
	return slices.BinarySearchFunc(t.progs, ProgramVersion{prog, vers}, func(p *Program, k ProgramVersion) int {
		if p.Prog != k.Prog {
			return cmpUint32(p.Prog, k.Prog)
		}
		return cmpUint32(p.Vers, k.Vers)
	})
}

// Lookup returns the description of version vers of program prog.
func (t *ProgramTable) Lookup(prog, vers uint32) (*Program, bool) {
	if t == nil {
		return nil, false
	}
	i, found := t.search(prog, vers)
	if !found {
		return nil, false
	}
	return t.progs[i], true
}

// All returns every description in the table, ordered by program and
// version.
func (t *ProgramTable) All() []*Program {
	if t == nil {
		return nil
	}
	return slices.Clone(t.progs)
}

func cmpUint32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

package export

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/nfskit/nfskit/vfs"
)

// MaxExportsSize bounds the size of an exports file Parse reads.
const MaxExportsSize = 4 << 20

// Entry is one export of an exports file: parsed and checked, but with
// no storage opened and no host name looked up.
type Entry struct {
	// File and Line say where the export is written.
	File string
	Line int
	// Path is the exported path, cleaned (see CleanPath).
	Path string
	// ID is the export's id: its fsid= option, else a hash (FNV-1a) of
	// Path, so that it stays the same across restarts for as long as the
	// path does.
	ID uint32
	// Rules are the export's clients, one rule per client in the order
	// written, each with every option spelled out.
	Rules []Rule
}

// Export returns the export the entry describes, serving fs. Its Policy
// holds exports(5)'s defaults (ro, root_squash, secure); the entry's rules
// spell out every setting, so those matter only to rules added later.
func (e *Entry) Export(fs vfs.FS) *Export {
	return &Export{ID: e.ID, Path: e.Path, FS: fs, Policy: Policy{ReadOnly: true, RequirePrivilegedPort: true}, Rules: slices.Clone(e.Rules)}
}

// error returns a LineError at the entry's line.
func (e *Entry) error(err error) error {
	return &LineError{File: e.File, Line: e.Line, Err: err}
}

// Parse reads an exports file in the format of exports(5), under the
// given name (used in errors), and returns its exports in the order
// written. Each line is
//
//	/path [-defaults] [client[(options)]]... [-defaults] ...
//
// where a client is "*", an IP address, a network (CIDR or address/
// netmask), a host name or a host name pattern with wildcards, "-options" sets the options of the clients
// after it on the line, "(options)" without a client is for everyone, and
// a line naming no client exports to everyone. Options are rw, ro,
// root_squash, no_root_squash, all_squash, no_all_squash, anonuid=N,
// anongid=N, sec=sys:none, secure, insecure and fsid=N (the export's id);
// sync, async, wdelay, no_wdelay, subtree_check, no_subtree_check,
// crossmnt, nohide and hide are accepted and change nothing. Unset options
// take exports(5)'s defaults: ro, root_squash, secure, anonymous id 65534.
//
// Errors are *LineError values naming the file and line, wrapping
// ErrSyntax, ErrUnknownOption, ErrUnsupportedOption, ErrBadValue,
// ErrBadClient, ErrRelativePath, ErrDuplicatePath, ErrDuplicateID or
// ErrTooLong.
func Parse(name string, r io.Reader) ([]Entry, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxExportsSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(src) > MaxExportsSize {
		return nil, &LineError{File: name, Line: 1, Err: ErrTooLong}
	}
	p := parser{file: name, paths: make(map[string]int), ids: make(map[uint32]int)}
	if err := lex(string(src), p.line); err != nil {
		var le *lexError
		if errors.As(err, &le) {
			return nil, &LineError{File: name, Line: le.line, Err: le.err}
		}
		return nil, err
	}
	return p.entries, nil
}

// ParseFile reads the exports file at path (see Parse).
func ParseFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// parser builds the entries of an exports file, line by line.
type parser struct {
	file    string
	entries []Entry
	paths   map[string]int // path -> line
	ids     map[uint32]int // id -> line
}

// line parses one logical line.
func (p *parser) line(toks []token) error {
	at := func(t token, err error) error { return &lexError{line: t.line, err: err} }
	head := toks[0]
	if strings.IndexByte(head.text, 0) >= 0 {
		return at(head, fmt.Errorf("%w: a NUL byte in path %q", ErrSyntax, head.text))
	}
	clean, err := CleanPath(head.text)
	if err != nil {
		return at(head, fmt.Errorf("%w: %q", ErrRelativePath, head.text))
	}
	if first, ok := p.paths[clean]; ok {
		return at(head, fmt.Errorf("%w: %s, first at line %d", ErrDuplicatePath, clean, first))
	}
	e := Entry{File: p.file, Line: head.line, Path: clean}
	defaults := defaultOptions()
	var fsid *uint32
	for _, t := range toks[1:] {
		if list, ok := strings.CutPrefix(t.text, "-"); ok {
			if err := defaults.parse(list); err != nil {
				return at(t, err)
			}
			continue
		}
		client, list, hasOpts := strings.Cut(t.text, "(")
		o := defaults
		if hasOpts {
			list, ok := strings.CutSuffix(list, ")")
			if !ok || strings.ContainsAny(list, "()") {
				return at(t, fmt.Errorf("%w: unbalanced parentheses in %q", ErrSyntax, t.text))
			}
			if err := o.parse(list); err != nil {
				return at(t, err)
			}
			if client == "" {
				client = "*"
			}
		} else if strings.ContainsAny(t.text, "()") {
			return at(t, fmt.Errorf("%w: unbalanced parentheses in %q", ErrSyntax, t.text))
		}
		if _, err := parseClient(client); err != nil {
			return at(t, err)
		}
		if err := takeFSID(&fsid, &o); err != nil {
			return at(t, err)
		}
		e.Rules = append(e.Rules, o.rule(client))
	}
	if err := takeFSID(&fsid, &defaults); err != nil {
		return at(head, err)
	}
	if len(e.Rules) == 0 {
		e.Rules = []Rule{defaults.rule("*")}
	}
	if fsid != nil {
		e.ID = *fsid
	} else {
		h := fnv.New32a()
		h.Write([]byte(clean))
		e.ID = h.Sum32()
	}
	if first, ok := p.ids[e.ID]; ok {
		return at(head, fmt.Errorf("%w: %d, first at line %d (give one of them another fsid=)", ErrDuplicateID, e.ID, first))
	}
	p.paths[clean], p.ids[e.ID] = e.Line, e.Line
	p.entries = append(p.entries, e)
	return nil
}

// takeFSID records the fsid= of a client's options as the export's, which
// one line may give only once.
func takeFSID(fsid **uint32, o *options) error {
	if !o.fsidSet {
		return nil
	}
	if *fsid != nil && **fsid != o.fsid {
		return fmt.Errorf("%w fsid=%d: the export already has fsid=%d", ErrBadValue, o.fsid, **fsid)
	}
	*fsid = &o.fsid
	return nil
}

package export

import "fmt"

// token is one word of an exports line, its quotes removed and its
// escapes decoded, with the line it starts on.
type token struct {
	text string
	line int
}

// lexError is an error at a line, before the file name is known.
type lexError struct {
	line int
	err  error
}

// lex splits an exports file into logical lines of whitespace-separated
// tokens and hands each non-empty one to emit. A backslash at the end of a
// line joins the next line to it (as whitespace); "#" outside quotes
// starts a comment that runs to the end of the line; double quotes keep
// whitespace inside a token; a backslash and three octal digits ("\040")
// stand for the byte they encode.
func lex(src string, emit func([]token) error) error {
	var (
		toks    []token
		cur     []byte
		inTok   bool
		inQuote bool
		tokLine int
		line    = 1
	)
	start := func() {
		if !inTok {
			inTok, tokLine = true, line
		}
	}
	flush := func() {
		if inTok {
			toks = append(toks, token{text: string(cur), line: tokLine})
			cur, inTok = cur[:0], false
		}
	}
	end := func() error {
		flush()
		if len(toks) == 0 {
			return nil
		}
		err := emit(toks)
		toks = toks[:0]
		return err
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			j := i + 1
			if j+1 < len(src) && src[j] == '\r' && src[j+1] == '\n' {
				j++
			}
			if j >= len(src) || src[j] == '\n' {
				if inQuote {
					return &lexError{line, fmt.Errorf("%w: line continued inside quotes", ErrSyntax)}
				}
				flush()
				line++
				i = j
				continue
			}
			b, ok := octal(src[i+1:])
			if !ok {
				return &lexError{line, fmt.Errorf("%w: bad escape %q (want \\ and three octal digits)", ErrSyntax, src[i:min(i+4, len(src))])}
			}
			start()
			cur = append(cur, b)
			i += 3
		case c == '"':
			start()
			inQuote = !inQuote
		case c == '\n':
			if inQuote {
				return &lexError{line, fmt.Errorf("%w: unterminated quote", ErrSyntax)}
			}
			if err := end(); err != nil {
				return err
			}
			line++
		case inQuote:
			cur = append(cur, c)
		case c == '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			flush()
		default:
			start()
			cur = append(cur, c)
		}
	}
	if inQuote {
		return &lexError{line, fmt.Errorf("%w: unterminated quote", ErrSyntax)}
	}
	return end()
}

// octal decodes three octal digits at the start of s into a byte.
func octal(s string) (byte, bool) {
	if len(s) < 3 {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[:3]) {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v <= 0xff
}

func (e *lexError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

package main

import (
	"fmt"
	"strings"
)

// tokKind classifies a token of the XDR language.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokNumber
	tokPunct
)

// token is one lexical item with the line it starts on.
type token struct {
	kind tokKind
	text string
	line int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokNumber:
		return "number " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// comment is a comment of the source, kept so that definitions can carry
// it into the generated Go as documentation.
type comment struct {
	first, last int // lines
	text        string
}

// directive is a line "//xdrgen:verb args..." of the source: an
// instruction to the generator rather than documentation.
type directive struct {
	line int
	verb string
	args []string
}

// directivePrefix starts a directive line.
const directivePrefix = "//xdrgen:"

// lex splits src into tokens, comments and directives. Lines starting with
// '%' (rpcgen pass-through) and '#' (preprocessor) are skipped.
func lex(file, src string) ([]token, []comment, []directive, error) {
	var toks []token
	var comments []comment
	var directives []directive
	line := 1
	atLineStart := true
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
			atLineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case atLineStart && (c == '%' || c == '#'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		lineStart := atLineStart
		atLineStart = false
		switch {
		case lineStart && strings.HasPrefix(src[i:], directivePrefix):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			f := strings.Fields(src[i+len(directivePrefix) : i+end])
			if len(f) == 0 {
				return nil, nil, nil, fmt.Errorf("%s:%d: empty xdrgen directive", file, line)
			}
			directives = append(directives, directive{line, f[0], f[1:]})
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, nil, nil, fmt.Errorf("%s:%d: unterminated comment", file, line)
			}
			body := src[i+2 : i+2+end]
			first := line
			line += strings.Count(body, "\n")
			comments = append(comments, comment{first, line, body})
			i += end + 4
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			body := src[i+2 : i+end]
			if n := len(comments); n > 0 && comments[n-1].last == line-1 && comments[n-1].lineStyle() {
				comments[n-1].last = line
				comments[n-1].text += "\n" + body
			} else {
				comments = append(comments, comment{line, line, "//" + body})
			}
			i += end
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, src[i:j], line})
			i = j
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) && (isIdentPart(src[j])) {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], line})
			i = j
		case strings.IndexByte("{}()[]<>;:,=*", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), line})
			i++
		default:
			return nil, nil, nil, fmt.Errorf("%s:%d: unexpected character %q", file, line, c)
		}
	}
	toks = append(toks, token{tokEOF, "", line})
	for i := range comments {
		comments[i].text = cleanComment(comments[i].text)
	}
	return toks, comments, directives, nil
}

func (c comment) lineStyle() bool { return strings.HasPrefix(c.text, "//") }

// cleanComment turns the body of a block comment, or a run of line
// comments, into plain lines of text without the comment markers.
func cleanComment(s string) string {
	s = strings.TrimPrefix(s, "//")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "//")
		if strings.HasPrefix(l, "*") && !strings.HasPrefix(l, "*/") {
			l = l[1:]
		}
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }

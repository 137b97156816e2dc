package expr

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError reports malformed input to Parse or ParseValue.
type SyntaxError struct {
	Src string // the whole input
	Col int    // 1-based column of the error, in runes
	Msg string
}

// Error returns "col N: msg".
func (e *SyntaxError) Error() string { return fmt.Sprintf("col %d: %s", e.Col, e.Msg) }

// Caret returns two lines without a trailing newline: the source, and a line
// with a ^ under column Col. Control characters in the source are shown as
// spaces (tabs are kept, and repeated in the second line, so that the caret
// lines up).
func (e *SyntaxError) Caret() string {
	var src, mark strings.Builder
	col := 1
	for _, r := range e.Src {
		if r != '\t' && unicode.IsControl(r) {
			r = ' '
		}
		src.WriteRune(r)
		if col < e.Col {
			if r == '\t' {
				mark.WriteByte('\t')
			} else {
				mark.WriteByte(' ')
			}
		}
		col++
	}
	for ; col < e.Col; col++ {
		mark.WriteByte(' ')
	}
	mark.WriteByte('^')
	return src.String() + "\n" + mark.String()
}

// errAt returns a SyntaxError at byte offset off of src.
func errAt(src string, off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Src: src, Col: colOf(src, off), Msg: fmt.Sprintf(format, args...)}
}

// errCol returns a SyntaxError at the 1-based rune column col of src.
func errCol(src string, col int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Src: src, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// colOf converts a byte offset into a 1-based rune column.
func colOf(src string, off int) int { return utf8.RuneCountInString(src[:off]) + 1 }

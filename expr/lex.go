package expr

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF   tokKind = iota
	tokNum           // a number, value in tok.num
	tokName          // an identifier
	tokPunct         // one of + - * / ^ @ ( ) ,
	tokErr           // a lexical error, message in tok.text
)

type token struct {
	kind tokKind
	text string // source text; the message for tokErr
	col  int    // 1-based column in runes
	num  float64
}

// describe names the token for an error message.
func (t token) describe() string {
	if t.kind == tokEOF {
		return "end of input"
	}
	return strconv.Quote(t.text)
}

// lex splits src into tokens. The list ends with tokEOF, or with tokErr at
// the first malformed token.
func lex(src string) []token {
	var toks []token
	i := 0
	lastOff, lastCol := 0, 1
	col := func(off int) int { // advances incrementally, keeping lex linear
		lastCol += utf8.RuneCountInString(src[lastOff:off])
		lastOff = off
		return lastCol
	}
	for {
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i == len(src) {
			return append(toks, token{kind: tokEOF, col: col(i)})
		}
		c := src[i]
		switch {
		case isDigit(c) || c == '.':
			end, v, msg := scanNumber(src, i)
			if msg != "" {
				return append(toks, token{kind: tokErr, text: msg, col: col(i)})
			}
			toks = append(toks, token{kind: tokNum, text: src[i:end], col: col(i), num: v})
			i = end
		case isLetter(c):
			j := i + 1
			for j < len(src) && (isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			toks = append(toks, token{kind: tokName, text: src[i:j], col: col(i)})
			i = j
		case c == '+' || c == '-' || c == '*' || c == '/' || c == '^' || c == '@' ||
			c == '(' || c == ')' || c == ',':
			toks = append(toks, token{kind: tokPunct, text: src[i : i+1], col: col(i)})
			i++
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			msg := "unexpected character " + strconv.QuoteRune(r)
			if r == utf8.RuneError && n == 1 {
				msg = "invalid UTF-8 byte " + strconv.Quote(src[i:i+1])
			}
			return append(toks, token{kind: tokErr, text: msg, col: col(i)})
		}
	}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

// scanNumber reads an unsigned decimal number starting at src[i]:
//
//	digits [ "." digits? ] [ exponent ]  |  "." digits [ exponent ]
//	exponent = ("e" | "E") ["+" | "-"] digits
//
// It returns the end offset and the value, or an error message. A number
// running straight into a letter, digit or dot (2x, 1.2.3, 1e) is malformed,
// as is one too large for a float64.
func scanNumber(src string, i int) (end int, v float64, msg string) {
	j := i
	digits := func() int {
		k := j
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		return j - k
	}
	malformed := func() (int, float64, string) {
		for j < len(src) && (isLetter(src[j]) || isDigit(src[j]) || src[j] == '.') {
			j++
		}
		return j, 0, "malformed number " + strconv.Quote(src[i:j])
	}
	n := digits()
	if j < len(src) && src[j] == '.' {
		j++
		n += digits()
	}
	if n == 0 {
		return malformed()
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if digits() == 0 {
			return malformed()
		}
	}
	if j < len(src) && (isLetter(src[j]) || isDigit(src[j]) || src[j] == '.') {
		return malformed()
	}
	v, err := strconv.ParseFloat(src[i:j], 64)
	if err != nil {
		return j, 0, "number " + src[i:j] + " is out of range"
	}
	return j, v, ""
}

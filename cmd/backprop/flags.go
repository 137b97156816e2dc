package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseCommandFlags is the one flag parser of every subcommand: it
// separates the flags of fs from the positional arguments (flags may come
// after them, see splitFlags) and parses them. It returns done with the
// exit status when there is nothing more to do: -h, -help or --help
// printed usage to stdout (status 0), or a flag was wrong, reported in
// one line on stderr naming it, with the closest known flag for one
// misspelt (status 2).
func parseCommandFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	fs.SetOutput(io.Discard) // errors are reported here, in one line
	fs.Usage = func() {}
	flags, pos := splitFlags(fs, args)
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return nil, 0, true
		}
		fmt.Fprintf(stderr, "backprop %s: %s\n", fs.Name(), flagMessage(fs, err))
		return nil, 2, true
	}
	return append(pos, fs.Args()...), 0, false
}

// flagMessage rewrites an error of the flag package in the words of the
// rest of the command line: the flag as --name, its value, and for an
// unknown flag the closest known one.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		line := fmt.Sprintf("unknown flag --%s", name)
		if c := closestFlag(fs, name); c != "" {
			return line + fmt.Sprintf(" (did you mean --%s?)", c)
		}
		return line + fmt.Sprintf("; run 'backprop help %s' for the flags", fs.Name())
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s needs a value", name)
	}
	// invalid value "x" for flag -lr: parse error
	// invalid boolean value "x" for -json: parse error
	var value, name, why string
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if q, after, ok := strings.Cut(rest, " for -"); ok {
			if n, w, ok := strings.Cut(after, ": "); ok {
				value, name, why = strings.Trim(q, `"`), n, w
			}
		}
	} else if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if q, after, ok := strings.Cut(rest, " for flag -"); ok {
			if n, w, ok := strings.Cut(after, ": "); ok {
				value, name, why = strings.Trim(q, `"`), n, w
			}
		}
	}
	if name == "" {
		return msg
	}
	f := fs.Lookup(name)
	if f == nil {
		return msg
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return fmt.Sprintf("--%s %s: %s", name, value, why)
	}
	switch g.Get().(type) {
	case bool:
		why = "want true or false"
	case int, int64, uint, uint64:
		why = "want a whole number"
	case float64:
		why = "want a number"
	case interface{ Seconds() float64 }:
		why = "want a duration such as 2s or 500ms"
	}
	return fmt.Sprintf("--%s %s: %s", name, value, why)
}

// closestFlag returns the flag of fs nearest to name, if it is near
// enough to be a slip: at most two edits away (one for names of up to
// four letters), a swap of two neighbouring letters counting as one, or
// name the start of it.
func closestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 1<<30
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	})
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and
// b: the insertions, deletions, substitutions and swaps of neighbouring
// letters that turn one into the other.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// splitFlags separates the flags of fs from the positional arguments, so
// that flags may come after them (backprop grad EXPR --check). An
// argument is a flag if it is -name or --name, optionally followed by
// =value, for a flag fs defines (the next argument is then the value of
// a non-boolean flag given without =), or if it is -h or -help, or starts
// with "--" (so that a misspelt flag is reported rather than read as a
// positional argument). Other arguments starting with "-", such as the
// expression "-x^2", are positional, as is everything after "--".
func splitFlags(fs *flag.FlagSet, args []string) (flags, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(pos, args[i+1:]...)
		}
		name, hasValue := flagName(a)
		f := fs.Lookup(name)
		if name == "" || f == nil && name != "h" && name != "help" && !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, pos
}

// flagName returns the name of the flag a looks like (-name, --name,
// -name=value, --name=value), or "" if it does not look like one.
func flagName(a string) (name string, hasValue bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", false
	}
	name, _, hasValue = strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && (c == '-' || c == '_' || '0' <= c && c <= '9')) {
			return "", false
		}
	}
	return name, hasValue
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

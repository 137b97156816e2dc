package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClassNames(t *testing.T) {
	dir := t.TempDir()
	if names, err := ClassNames(dir, 3); names != nil || err != nil {
		t.Errorf("no file: %q, %v", names, err)
	}
	path := filepath.Join(dir, NamesFile)
	os.WriteFile(path, []byte("cat\n\n dog \r\nbird\n"), 0o644)
	if names, err := ClassNames(dir, 3); strings.Join(names, "|") != "cat|dog|bird" || err != nil {
		t.Errorf("names %q, %v", names, err)
	}
	if _, err := ClassNames(dir, 2); err == nil || err.Error() != path+": more than 2 class names" {
		t.Errorf("too many: %v", err)
	}
	if _, err := ClassNames(dir, 4); err == nil || err.Error() != path+": 3 class names for 4 classes" {
		t.Errorf("too few: %v", err)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportRetentionSchedule: the Code's table, saved as HTML, is compared
// with the schedule in force and applied only when asked; a broken file
// changes nothing and says where it is broken.
func TestImportRetentionSchedule(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"ONEPC_DB": filepath.Join(dir, "t.db")}
	out, _, err := onepc(t, ctx, env, "", "import", "retention-schedule", "testdata/code_schedule.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"against version 1 in force", "+ BOARD-MINUTES", "Permanently, then Transfer to a place of deposit",
		"~ TELEPHONY", "3 years after creation (was 1 year after creation)", "- HEALTH-SURVEILLANCE", "Nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	out, _, err = onepc(t, ctx, env, "", "import", "retention-schedule", "--apply", "testdata/code_schedule.html")
	if err != nil || !strings.Contains(out, "Applied as version 2") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	out, _, err = onepc(t, ctx, env, "", "import", "retention-schedule", "--apply", "testdata/code_schedule.html")
	if err != nil || !strings.Contains(out, "Nothing to change") {
		t.Errorf("apply again: %v\n%s", err, out)
	}
	broken := filepath.Join(dir, "broken.csv")
	os.WriteFile(broken, []byte("code,record_type,trigger,rule,years,death_years,action,creation_based,source,checked,notes\nX1,Thing,closure,years,8,,review,no,src,2026-02-30,\n"), 0o644)
	if _, _, err := onepc(t, ctx, env, "", "import", "retention-schedule", "--apply", broken); err == nil ||
		!strings.Contains(err.Error(), "line 2: checked") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("broken file: %v", err)
	}
}

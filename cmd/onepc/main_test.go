package main

import (
	"archive/zip"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/store"
)

const samples = "testdata/"

// onepc runs the command line in-process with its own environment.
func onepc(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestImportCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	env := map[string]string{"ONEPC_DB": db}

	out, _, err := onepc(t, ctx, env, "", "import", "ods-practices", samples+"epraccur_sample.csv")
	if err != nil || !strings.Contains(out, "1 practices added") || !strings.Contains(out, "1 rows were not GP practices") || !strings.Contains(out, "setting 25: 1") {
		t.Fatalf("import practices: %q %v", out, err)
	}
	out, _, err = onepc(t, ctx, env, "", "import", "ods-practices", samples+"epraccur_sample.csv")
	if err != nil || !strings.Contains(out, "0 practices added, 0 updated, 1 unchanged") {
		t.Errorf("re-import: %q %v", out, err)
	}
	out, _, err = onepc(t, ctx, env, "", "import", "pcn-members", samples+"epcncorepartnerdetails_sample.csv")
	if err != nil || !strings.Contains(out, "4 membership spells added") {
		t.Errorf("import PCN members: %q %v", out, err)
	}

	// A broken file: one clear error naming file, line and field; nothing kept.
	bad := filepath.Join(t.TempDir(), "epraccur.csv")
	good, _ := os.ReadFile(samples + "epraccur_sample.csv")
	broken := strings.Replace(string(good), `"A81044","MCKENZIE HOUSE SURGERY"`, `"B99999","NEW SURGERY"`, 1)
	broken += `"B99998","BROKEN","Y54","Q74","","","","","","TS1 1AA","1974-04-01","","A","B","00K","","","","","","","","","","","4",""` + "\r\n"
	os.WriteFile(bad, []byte(broken), 0o644)
	_, _, err = onepc(t, ctx, env, "", "import", "ods-practices", bad)
	if err == nil || err.Error() != `epraccur.csv: line 3, column 11 (open date): "1974-04-01" is not a date (expected YYYYMMDD such as 20130401)` {
		t.Errorf("broken file: %v", err)
	}
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Org(ctx, "B99999"); err == nil {
		t.Error("a row before the bad line was kept")
	}

	out, _, err = onepc(t, ctx, env, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "The audit log is intact") {
		t.Errorf("audit verify: %q %v", out, err)
	}
	// A signed checkpoint, kept in a file, and checked again later.
	env["ONEPC_AUDIT_KEY"] = "kept-out-of-the-database"
	out, _, err = onepc(t, ctx, env, "", "audit", "checkpoint")
	if err != nil || !strings.HasPrefix(out, "onepc-audit-checkpoint v1 seq=") {
		t.Fatalf("audit checkpoint: %q %v", out, err)
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoints.txt")
	os.WriteFile(cpFile, []byte(out), 0o600)
	if out, _, err := onepc(t, ctx, env, "", "audit", "verify", "--checkpoint", cpFile); err != nil || !strings.Contains(out, "still holds 1 checkpoints") {
		t.Errorf("verify against the checkpoint: %q %v", out, err)
	}
	env["ONEPC_AUDIT_KEY"] = "another key"
	if _, _, err := onepc(t, ctx, env, "", "audit", "verify", "--checkpoint", cpFile); err == nil || !strings.Contains(err.Error(), "signature does not match") {
		t.Errorf("a checkpoint under another key: %v", err)
	}
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	env := map[string]string{"ONEPC_DB": db}
	if _, _, err := onepc(t, ctx, env, "", "demo"); err != nil {
		t.Fatal(err)
	}
	_, _, err := onepc(t, ctx, env, "short\n", "user", "add", "--email", "bad", "--name", "")
	if err == nil || !strings.Contains(err.Error(), "--email: Enter an email address") || !strings.Contains(err.Error(), "--password: Password must be at least 10 characters") {
		t.Errorf("bad user add: %v", err)
	}
	out, _, err := onepc(t, ctx, env, "a good long password\n", "user", "add", "--email", "kim@example.org", "--name", "Kim Lee")
	if err != nil || !strings.Contains(out, "Added Kim Lee <kim@example.org>") {
		t.Fatalf("user add: %q %v", out, err)
	}
	if _, _, err := onepc(t, ctx, env, "", "user", "grant", "kim@example.org", "pcn_manager", "y00001"); err == nil || !strings.Contains(err.Error(), "can only be given at a Primary Care Network") {
		t.Errorf("grant at the wrong kind: %v", err)
	}
	if out, _, err := onepc(t, ctx, env, "", "user", "grant", "kim@example.org", "pcn_manager", "u00002"); err != nil || !strings.Contains(out, "is now PCN manager at U00002") {
		t.Errorf("grant: %q %v", out, err)
	}
	// Flags after the arguments, as the usage shows and people type them.
	if out, _, err := onepc(t, ctx, nil, "", "user", "grant", "kim@example.org", "pcn_manager", "u00001", "--db", db); err != nil || !strings.Contains(out, "is now PCN manager at U00001") {
		t.Errorf("grant with --db after the arguments: %q %v", out, err)
	}
	out, _, _ = onepc(t, ctx, env, "", "user", "list")
	if !strings.Contains(out, "kim@example.org") || !strings.Contains(out, "pcn_manager@U00002") {
		t.Errorf("list: %q", out)
	}
	if out, _, err := onepc(t, ctx, env, "", "user", "revoke", "kim@example.org", "pcn_manager", "U00002"); err != nil || !strings.Contains(out, "is no longer") {
		t.Errorf("revoke: %q %v", out, err)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"demo", "--help"},
		{"import", "ods-practices", "--help"}, {"import", "pcn-members", "--help"}, {"user", "--help"},
		{"user", "add", "--help"}, {"audit", "verify", "--help"},
	} {
		out, errOut, err := onepc(t, ctx, nil, "", args...)
		if err != nil || !strings.Contains(out+errOut, "Usage") {
			t.Errorf("%v: %v, %q", args, err, out+errOut)
		}
	}
	if out, errOut, _ := onepc(t, ctx, nil, "", "serve", "--help"); !strings.Contains(out+errOut, "serve [--addr :8080] [--db onepc.db] [--demo] [--secure-cookies]") {
		t.Errorf("serve's usage line leaves flags out: %q", out+errOut)
	}
	if _, _, err := onepc(t, ctx, nil, "", "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := map[string]string{"ONEPC_DB": filepath.Join(t.TempDir(), "t.db"), "ONEPC_ADDR": addr}
	go func() {
		_, _, err := onepc(t, ctx, env, "", "serve")
		done <- err
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after SIGTERM-like cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestImportRegisteredPatients(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ctx := context.Background()
	env := map[string]string{"ONEPC_DB": db}

	// The published zip holds the CSV; a truncated copy must be refused whole.
	zipPath := filepath.Join(dir, "gp-reg-pat-prac-quin-age.zip")
	writeZip(t, zipPath, "gp-reg-pat-prac-quin-age.csv", samples+"gp-reg-pat-prac-quin-age_sample.csv")
	out, errOut, err := onepc(t, ctx, env, "", "import", "registered-patients", samples+"gp-reg-pat-prac-all_sample.csv", zipPath)
	if err != nil || !strings.Contains(out, "extract of 1 November 2025: 3 practices") || !strings.Contains(out, "2 practices (2 with age bands") {
		t.Fatalf("import: %q %v", out, err)
	}
	if !strings.Contains(errOut, "100.0%") || !strings.Contains(errOut, "rows/s") {
		t.Errorf("no progress shown: %q", errOut)
	}
	whole, _ := os.ReadFile(zipPath)
	trunc := filepath.Join(dir, "trunc.zip")
	os.WriteFile(trunc, whole[:len(whole)/2], 0o644)
	if _, _, err := onepc(t, ctx, env, "", "import", "registered-patients", trunc); err == nil || !strings.Contains(err.Error(), "trunc.zip: is not a readable zip file") {
		t.Errorf("truncated zip: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("EXTRACT_DATE,CODE,SEX,AGE,NUMBER_OF_PATIENTS\n01DEC2025,Y00009,ALL,ALL,100\n01DEC2025,Y00009,MALE,4,ten\n"), 0o644)
	if _, errOut, err := onepc(t, ctx, env, "", "import", "registered-patients", bad); err == nil ||
		err.Error() != `bad.csv: line 3, column 5 (NUMBER_OF_PATIENTS): "ten" is not a count of patients` {
		t.Errorf("bad file: %v", err)
	} else if strings.Contains(errOut, "100.0%") || !strings.Contains(errOut, "bad.csv refused after") {
		t.Errorf("a refused file's progress: %q", errOut)
	}
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Org(ctx, "Y00009"); err == nil {
		t.Error("a practice from the bad file was kept")
	}
}

func writeZip(t *testing.T, path, name, src string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create(name)
	w.Write(data)
	zw.Close()
	f.Close()
}

func TestImportGPAD(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	env := map[string]string{"ONEPC_DB": filepath.Join(dir, "t.db")}
	zipPath := filepath.Join(dir, "Practice_Level_Crosstab_Oct_25.zip")
	writeZip(t, zipPath, "Practice_Level_Crosstab_Oct_25.csv", samples+"Practice_Level_Crosstab_SAMPLE.csv")
	out, errOut, err := onepc(t, ctx, env, "", "import", "gpad", zipPath)
	if err != nil || !strings.Contains(out, "1,525 rows for 3 practices in October 2025, November 2025") || !strings.Contains(errOut, "rows/s") {
		t.Fatalf("import: %q %q %v", out, errOut, err)
	}
	whole, _ := os.ReadFile(zipPath)
	trunc := filepath.Join(dir, "cut.zip")
	os.WriteFile(trunc, whole[:len(whole)/3], 0o644)
	if _, _, err := onepc(t, ctx, env, "", "import", "gpad", trunc); err == nil || !strings.Contains(err.Error(), "cut.zip") {
		t.Errorf("truncated zip: %v", err)
	}
	good, _ := os.ReadFile(samples + "Practice_Level_Crosstab_SAMPLE.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(strings.Replace(strings.Replace(string(good), "Y00001", "Y00009", 1), ",Attended\r\n", ",Atended\r\n", 3)), 0o644)
	_, _, err = onepc(t, ctx, env, "", "import", "gpad", bad)
	if err == nil || !strings.Contains(err.Error(), `bad.csv: line 3, column 14 (APPT_STATUS): APPT_STATUS "Atended"`) {
		t.Errorf("bad file: %v", err)
	}
	s, _ := store.Open(ctx, env["ONEPC_DB"])
	defer s.Close()
	if _, err := s.Org(ctx, "Y00009"); err == nil {
		t.Error("a practice from the bad file was kept")
	}
}

package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/store"
)

// InsertOrgs writes organisations many rows a statement: a benchmark's
// country in a moment.
func InsertOrgs(ctx context.Context, l store.Loader, list []orgs.Org, now time.Time) error {
	return l.Insert(ctx, "orgs", []string{"code", "kind", "name", "parent_code", "status", "prescribing_setting", "list_size", "updated_at"},
		len(list), func(i int) []any {
			o := list[i]
			var parent any
			if o.ParentCode != "" {
				parent = o.ParentCode
			}
			return []any{o.Code, string(o.Kind), o.Name, parent, o.Status, o.Setting, o.ListSize, l.Timestamp(now)}
		})
}

// SeedNational writes a generated national-scale data set for benchmarks:
// one ICB (commissioner "QNN") with one Place, `practices` practices, a
// catalogue of `services` monthly services for financial year `year`, and a
// claim for every practice, service and month: approved and ready to pay for
// the first `ready` months, submitted for the rest. It writes through
// store.Load's multi-row inserts so that seeding takes seconds, not hours,
// and returns the practice codes. It writes no audit entries: it is test
// data, not history.
func SeedNational(ctx context.Context, s *store.Store, practices, services, months, ready, year int) ([]string, error) {
	now := time.Now()
	var codes []string
	err := s.Load(ctx, func(l store.Loader) error {
		list := []orgs.Org{
			{Code: "Y98", Kind: orgs.Region, Name: "BENCH REGION", Status: "A"},
			{Code: "QNN", Kind: orgs.ICB, Name: "BENCH ICB", ParentCode: "Y98", Status: "A"},
			{Code: "98N", Kind: orgs.Place, Name: "BENCH PLACE", ParentCode: "QNN", Status: "A"},
		}
		for i := 0; i < practices; i++ {
			code := fmt.Sprintf("P%05d", i+1)
			codes = append(codes, code)
			list = append(list, orgs.Org{Code: code, Kind: orgs.Practice, Name: "BENCH PRACTICE " + code, ParentCode: "98N",
				Status: "A", Setting: orgs.SettingGPPractice, ListSize: 2000 + i%28000})
		}
		if err := InsertOrgs(ctx, l, list, now); err != nil {
			return err
		}
		var ids []int64
		for i := 0; i < services; i++ {
			sv := claims.Service{Code: fmt.Sprintf("BENCH-%02d", i+1), Name: fmt.Sprintf("Bench service %d", i+1), Commissioner: "QNN",
				Year: year, Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.AllPractices, NeedsApproval: true,
				Fields: []claims.Field{{Key: "items", Label: "Items"}},
				Rule:   payrules.Rule{Kind: payrules.FeePerItem, Field: "items", RatePence: int64(100 + 37*i), CapPence: 500000}}
			fields, _ := json.Marshal(sv.Fields)
			rule, _ := json.Marshal(sv.Rule)
			var id int64
			if err := l.QueryRow(ctx, `INSERT INTO services (code, year, name, spec, commissioner_org, frequency, deadline_days,
				eligibility, sign_up, needs_declaration, needs_approval, needs_finance, fields_json, rule_json, created_at)
				VALUES (?, ?, ?, '', ?, 'monthly', 10, 'place', 0, 0, 1, 0, ?, ?, ?) RETURNING id`,
				sv.Code, year, sv.Name, sv.Commissioner, string(fields), string(rule), l.Timestamp(now)).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		start := time.Date(year, 4, 1, 0, 0, 0, 0, time.UTC)
		perMonth := practices * services
		if err := l.Insert(ctx, "claims", []string{"service_id", "org_code", "period_start", "period_end", "status", "version",
			"activity_json", "pence", "explanation", "submitted_at", "late", "message", "ready_seq"}, perMonth*months, func(i int) []any {
			m, rest := i/perMonth, i%perMonth
			p, sv := rest/services, rest%services
			ps := start.AddDate(0, m, 0)
			items := int64(10 + (p*7+sv*13+m)%90)
			pence := items * int64(100+37*sv)
			status, seq := "submitted", any(nil)
			if m < ready {
				status, seq = "finance_approved", i+1
			}
			return []any{ids[sv], codes[p], l.Date(ps), l.Date(ps.AddDate(0, 1, -1)), status, 1,
				`{"items":` + fmt.Sprint(items) + `}`, pence, fmt.Sprintf("%d Items × %s = %s", items, payrules.Pounds(int64(100+37*sv)), payrules.Pounds(pence)),
				l.Timestamp(ps.AddDate(0, 1, 3)), 0, "", seq}
		}); err != nil {
			return err
		}
		return l.Exec(ctx, "UPDATE ready_counter SET seq = ? WHERE id = 1", perMonth*min(ready, months))
	})
	return codes, err
}

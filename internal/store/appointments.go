package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
)

// AppointmentsImport counts what an appointments import did.
type AppointmentsImport struct {
	File      string      `json:"file"`
	Rows      int64       `json:"rows"`
	Blank     int64       `json:"blank_counts"`
	Months    []time.Time `json:"months"`
	Practices int         `json:"practices"`
	Created   int         `json:"created"`
}

// ImportAppointments loads one practice-level file in one transaction.
// read parses the file and hands its sums to emit in batches (as
// access.Aggregate does), so memory stays bounded however large the file.
// Each practice's month in the file replaces what was there, so importing a
// month again (or a region's split file beside another's) changes only what
// the file covers. Organisations not yet known are created from the file's
// own codes and names. Measures are worked out afresh for what was loaded.
func (s *Store) ImportAppointments(ctx context.Context, actor, file string, read func(emit func([]access.PracticeMonth) error) (access.Summary, error)) (AppointmentsImport, error) {
	res := AppointmentsImport{File: file}
	err := s.tx(ctx, func(c conn) error {
		if err := c.lockMeasures(ctx); err != nil {
			return err
		}
		im, err := c.newAppointmentWriter(ctx, actor, file)
		if err != nil {
			return err
		}
		im.maxPending = s.maxPendingValues
		sum, err := read(func(batch []access.PracticeMonth) error { return im.add(ctx, batch) })
		if err != nil {
			return err
		}
		if err := im.ms.write(ctx, c); err != nil {
			return err
		}
		res.Rows, res.Blank, res.Created = sum.Rows, sum.Blank, im.created
		res.Months = im.ms.months()
		if err := c.noteAppointmentMonths(ctx, res.Months); err != nil {
			return err
		}
		c.referenceChanged()
		practices := map[string]bool{}
		for k := range im.written {
			practices[k.practice] = true
		}
		res.Practices = len(practices)
		return c.appendAudit(ctx, actor, "import.gpad", "import", file, nil, res)
	})
	return res, err
}

// noteAppointmentMonths records the months loaded, with how many practices
// each holds now: counted from one measure's values (a row a practice) rather
// than the month's appointments (two dozen rows a practice).
func (c conn) noteAppointmentMonths(ctx context.Context, months []time.Time) error {
	for _, m := range months {
		if _, err := c.exec(ctx, `INSERT INTO appointment_months (month, practices, imported_at)
			VALUES (?, (SELECT COUNT(*) FROM practice_measure_values
				WHERE measure_id = (SELECT MIN(id) FROM measures) AND month = ?), ?)
			ON CONFLICT (month) DO UPDATE SET practices = excluded.practices, imported_at = excluded.imported_at`,
			dateArg(m), dateArg(m), c.tsArg(c.now)); err != nil {
			return err
		}
	}
	return nil
}

type practiceMonth struct {
	practice string
	month    time.Time
}

// appointmentWriter writes an import's batches inside its transaction.
type appointmentWriter struct {
	c       conn
	actor   string
	file    string
	known   map[string]orgs.Org
	written map[practiceMonth]bool // by this import: a second batch adds to it
	created int
	ms      *measureSet
	// maxPending bounds the measure values held (16 bytes each; a national
	// month of the shipped measures is about 100,000).
	maxPending int
	// loaded are the months stored before this import: only their
	// practice-months can have rows to replace.
	loaded map[string]bool // by time.DateOnly
	rows   appointmentRows // a batch's, the space kept for the next
}

func (c conn) newAppointmentWriter(ctx context.Context, actor, file string) (*appointmentWriter, error) {
	known, err := c.allOrgs(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := c.newMeasureSet(ctx, nil)
	if err != nil {
		return nil, err
	}
	months, err := c.dates(ctx, "SELECT month FROM appointment_months")
	if err != nil {
		return nil, err
	}
	loaded := map[string]bool{}
	for _, m := range months {
		loaded[m.Format(time.DateOnly)] = true
	}
	return &appointmentWriter{c: c, actor: actor, file: file, known: known, written: map[practiceMonth]bool{}, ms: ms, loaded: loaded}, nil
}

func (w *appointmentWriter) add(ctx context.Context, batch []access.PracticeMonth) error {
	// Practices, PCNs and Places first met, written together.
	var plan orgPlan
	for _, pm := range batch {
		p := pm.Practice
		if _, ok := w.known[p.Code]; ok {
			continue
		}
		steps := []orgs.Org{
			{Code: p.SubICB, Kind: orgs.Place, Name: p.SubICBName, Status: orgs.StatusActive},
			{Code: p.PCN, Kind: orgs.PCN, Name: p.PCNName, ParentCode: p.SubICB, Status: orgs.StatusActive},
			{Code: p.Code, Kind: orgs.Practice, Name: p.Name, ParentCode: p.SubICB, Status: orgs.StatusActive, Setting: orgs.SettingGPPractice},
		}
		for _, o := range steps {
			if err := plan.org(w.file, w.known, o); err != nil {
				return err
			}
		}
		if p.PCN != "" {
			plan.members = append(plan.members, orgs.Membership{PracticeCode: p.Code, PCNCode: p.PCN, Start: pm.Month})
		}
	}
	// Parents before children, whatever order the batch met them in.
	kinds := map[orgs.Kind]int{orgs.Place: 0, orgs.PCN: 1, orgs.Practice: 2}
	slices.SortStableFunc(plan.orgs, func(a, b orgs.Org) int { return kinds[a.Kind] - kinds[b.Kind] })
	if err := w.c.createPlanned(ctx, w.actor, plan); err != nil {
		return err
	}
	w.created += len(plan.orgs)

	// A practice-month first met replaces what was stored; one whose rows
	// fell either side of a batch is written again whole.
	var stale []practiceMonth
	for _, pm := range batch {
		k := practiceMonth{pm.Practice.Code, pm.Month}
		if w.written[k] {
			before, err := w.c.storedCounts(ctx, k)
			if err != nil {
				return err
			}
			pm.Counts.Add(before)
		}
		if w.written[k] || w.loaded[k.month.Format(time.DateOnly)] {
			stale = append(stale, k)
		}
		w.written[k] = true
		if err := w.ms.add(ctx, w.c, k.practice, k.month, pm.Counts); err != nil {
			return err
		}
	}
	if err := w.c.deletePracticeMonths(ctx, stale); err != nil {
		return err
	}
	w.rows.reset()
	for _, pm := range batch {
		w.rows.add(pm.Month, pm.Practice.Code, pm.Counts)
	}
	if err := w.c.insertAppointmentRows(ctx, &w.rows); err != nil {
		return err
	}
	if w.ms.pending() < w.maxPending {
		return nil
	}
	return w.ms.write(ctx, w.c)
}

// bandColumns are practice_appointments' count columns, one per booking
// band in access.Band order (the booking_bands table names them too).
var bandColumns = []string{"same_day", "one_day", "two_to_seven_days", "eight_to_fourteen_days",
	"fifteen_to_twenty_one_days", "twenty_two_to_twenty_eight_days", "more_than_twenty_eight_days", "unknown_band"}

// appointmentColumns are practice_appointments' columns in insert order.
var appointmentColumns = append([]string{"month", "practice_code", "appt_status", "hcp_type", "appt_mode"}, bandColumns...)

// storedCounts reads back one practice-month's stored rows.
func (c conn) storedCounts(ctx context.Context, k practiceMonth) (*access.Counts, error) {
	rows, err := c.query(ctx, "SELECT appt_status, hcp_type, appt_mode, "+strings.Join(bandColumns, ", ")+
		" FROM practice_appointments WHERE month = ? AND practice_code = ?", dateArg(k.month), k.practice)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var counts access.Counts
	for rows.Next() {
		var st access.Status
		var h access.HCP
		var mo access.Mode
		var bands [8]int64
		if err := rows.Scan(&st, &h, &mo, &bands[0], &bands[1], &bands[2], &bands[3], &bands[4], &bands[5], &bands[6], &bands[7]); err != nil {
			return nil, err
		}
		for b, n := range bands {
			counts[access.Cell(st, h, mo, access.Band(b))] += n
		}
	}
	return &counts, rows.Err()
}

// deletePracticeMonths removes the stored rows of the practice-months, a
// month's practices at a time.
func (c conn) deletePracticeMonths(ctx context.Context, list []practiceMonth) error {
	byMonth := map[time.Time][]string{}
	for _, k := range list {
		byMonth[k.month] = append(byMonth[k.month], k.practice)
	}
	for month, codes := range byMonth {
		if c.dialect == Postgres {
			// One array parameter: the plan is an index scan whatever the count.
			if _, err := c.exec(ctx, "DELETE FROM practice_appointments WHERE month = ? AND practice_code = ANY(?::text[])", dateArg(month), codes); err != nil {
				return err
			}
			continue
		}
		for start := 0; start < len(codes); start += 500 {
			in, args := inClause(codes[start:min(start+500, len(codes))])
			if _, err := c.exec(ctx, "DELETE FROM practice_appointments WHERE month = ? AND practice_code IN "+in,
				append([]any{dateArg(month)}, args...)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// appointmentRows are practice_appointments rows held column by column,
// as PostgreSQL's unnest takes them.
type appointmentRows struct {
	months, practices []string
	status, hcp, mode []int16
	bands             [8][]int64 // the count columns, in bandColumns order
}

// reset empties r, keeping its space.
func (r *appointmentRows) reset() {
	r.months, r.practices = r.months[:0], r.practices[:0]
	r.status, r.hcp, r.mode = r.status[:0], r.hcp[:0], r.mode[:0]
	for b := range r.bands {
		r.bands[b] = r.bands[b][:0]
	}
}

// add appends a practice-month's rows: one per status, clinician type and
// mode that has any appointments, with its count in each band. A cell
// number's last three bits are its band (access.Cell), so a row is eight
// consecutive cells.
func (r *appointmentRows) add(month time.Time, practice string, counts *access.Counts) {
	m := month.Format(time.DateOnly)
	for base := 0; base < access.Cells; base += len(r.bands) {
		row := [8]int64(counts[base : base+len(r.bands)])
		if row == [8]int64{} {
			continue
		}
		st, h, mo, _ := access.CellDims(base)
		r.months = append(r.months, m)
		r.practices = append(r.practices, practice)
		r.status = append(r.status, int16(st))
		r.hcp = append(r.hcp, int16(h))
		r.mode = append(r.mode, int16(mo))
		for b := range r.bands {
			r.bands[b] = append(r.bands[b], row[b])
		}
	}
}

func (c conn) insertAppointmentRows(ctx context.Context, r *appointmentRows) error {
	if len(r.months) == 0 {
		return nil
	}
	if c.dialect == Postgres {
		// One statement binding an array per column: far cheaper for the
		// server to parse than a VALUES list of the same rows.
		args := []any{r.months, r.practices, r.status, r.hcp, r.mode}
		for _, b := range r.bands {
			args = append(args, b)
		}
		_, err := c.exec(ctx, "INSERT INTO practice_appointments ("+strings.Join(appointmentColumns, ", ")+`)
			SELECT m::date, p, s, h, mo, b0, b1, b2, b3, b4, b5, b6, b7 FROM unnest(?::text[], ?::text[], ?::int2[], ?::int2[], ?::int2[],
			?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[]) AS t(m, p, s, h, mo, b0, b1, b2, b3, b4, b5, b6, b7)`,
			args...)
		return err
	}
	// One row's values, filled afresh for each row (bulkInsert copies them),
	// with the month and practice boxed once for all their rows: rows built
	// and boxed anew were about a third of a national month's garbage.
	vals := make([]any, len(appointmentColumns))
	return c.bulkInsert(ctx, "practice_appointments", appointmentColumns, len(r.months), func(i int) []any {
		if i == 0 || r.months[i] != r.months[i-1] {
			vals[0] = r.months[i]
		}
		if i == 0 || r.practices[i] != r.practices[i-1] {
			vals[1] = r.practices[i]
		}
		vals[2], vals[3], vals[4] = r.status[i], r.hcp[i], r.mode[i]
		for b := range r.bands {
			vals[5+b] = r.bands[b][i]
		}
		return vals
	})
}

// measureSet works out measures' values for the practice-months given it
// and writes them as practice_measure_values rows.
type measureSet struct {
	measures []access.Measure
	masks    []*access.Mask // each measure's numerator and denominator, in turn
	sums     []int64
	lists    map[time.Time]map[string]int // registered lists, for per-1,000 measures
	// vals are the values worked out and not yet written: a practice-month's
	// for every measure in turn, from at[practice-month] on. A practice-month
	// met again (its rows fell either side of a batch) is worked out again
	// whole, over the values it had.
	vals []measureValue
	at   map[practiceMonth]int
	seen map[time.Time]bool // every month given
}

// measureValue is a numerator and denominator (den < 0: not known).
type measureValue struct{ num, den int64 }

// measuresLock serialises, across PostgreSQL connections and servers, the
// transactions that write measure values, so that two imports of the same
// months wait for each other rather than deadlock.
// SQLite writers are serialised already.
const measuresLock = 7262002

// lockMeasures takes measuresLock until the transaction ends. Take it
// first, before the audit lock, so that no two transactions wait on each other.
func (c conn) lockMeasures(ctx context.Context) error {
	if c.dialect != Postgres {
		return nil
	}
	_, err := c.exec(ctx, "SELECT pg_advisory_xact_lock(?)", measuresLock)
	return err
}

// newMeasureSet takes every measure, or only those pick picks. It holds
// measuresLock (the caller should have taken it first).
func (c conn) newMeasureSet(ctx context.Context, pick func(access.Measure) bool) (*measureSet, error) {
	if err := c.lockMeasures(ctx); err != nil {
		return nil, err
	}
	all, err := c.measureDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	ms := &measureSet{lists: map[time.Time]map[string]int{}, at: map[practiceMonth]int{}, seen: map[time.Time]bool{}}
	// In id order, the order of the table's key.
	slices.SortFunc(all, func(a, b access.Measure) int { return strings.Compare(a.ID, b.ID) })
	for _, m := range all {
		if pick == nil || pick(m) {
			ms.measures = append(ms.measures, m)
			ms.masks = append(ms.masks, m.Numerator.Mask(), m.Denominator.Mask())
		}
	}
	ms.sums = make([]int64, len(ms.masks))
	return ms, nil
}

func (ms *measureSet) add(ctx context.Context, c conn, practice string, month time.Time, counts *access.Counts) error {
	ms.seen[month] = true
	lists, ok := ms.lists[month]
	if !ok {
		var err error
		if lists, err = c.listSizesInMonth(ctx, month); err != nil {
			return err
		}
		ms.lists[month] = lists
	}
	counts.SumMasks(ms.masks, ms.sums)
	ms.collect(practice, month, lists)
	return nil
}

// collect keeps each measure's value for a practice-month from the sums
// (numerator and denominator per measure, in turn); a per-1,000 measure's
// denominator is the practice's registered list that month, where known.
func (ms *measureSet) collect(practice string, month time.Time, lists map[string]int) {
	k := practiceMonth{practice, month}
	i, ok := ms.at[k]
	if !ok {
		i = len(ms.vals)
		ms.at[k] = i
		ms.vals = slices.Grow(ms.vals, len(ms.measures))[:i+len(ms.measures)]
	}
	for j, m := range ms.measures {
		v := measureValue{num: ms.sums[2*j], den: ms.sums[2*j+1]}
		if m.Unit == access.Per1000 {
			v.den = -1
			if n, ok := lists[practice]; ok {
				v.den = int64(n)
			}
		}
		ms.vals[i+j] = v
	}
}

// pending is how many values are held, not yet written.
func (ms *measureSet) pending() int { return len(ms.vals) }

func (ms *measureSet) months() []time.Time {
	out := slices.Collect(maps.Keys(ms.seen))
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// write stores the values worked out: a practice's value for a month
// replaces its old one; other practices' stay.
func (ms *measureSet) write(ctx context.Context, c conn) error {
	defer func() { ms.vals = ms.vals[:0]; clear(ms.at) }()
	// In the table's key order (month, measure, practice), so that a new
	// month is written at the table's end, page after page.
	keys := slices.SortedFunc(maps.Keys(ms.at), func(a, b practiceMonth) int {
		return cmp.Or(a.month.Compare(b.month), strings.Compare(a.practice, b.practice))
	})
	months, starts := make([]string, len(keys)), make([]int, len(keys))
	for i, k := range keys {
		months[i], starts[i] = k.month.Format(time.DateOnly), ms.at[k]
	}
	// Each month's keys (keys[from:to]) once for every measure, in id order.
	type ref struct{ key, measure int }
	order := make([]ref, 0, len(keys)*len(ms.measures))
	for from := 0; from < len(keys); {
		to := from + 1
		for to < len(keys) && months[to] == months[from] {
			to++
		}
		for m := range ms.measures {
			for k := from; k < to; k++ {
				order = append(order, ref{k, m})
			}
		}
		from = to
	}
	row := make([]any, 5) // filled afresh for each row (bulkUpsert copies it)
	return c.bulkUpsert(ctx, "practice_measure_values", []string{"month", "measure_id", "practice_code", "numerator", "denominator"},
		"month, measure_id, practice_code", len(order), func(i int) []any {
			o := order[i]
			v := ms.vals[starts[o.key]+o.measure]
			row[0], row[1], row[2], row[3], row[4] = months[o.key], ms.measures[o.measure].ID, keys[o.key].practice, v.num, nil
			if v.den >= 0 {
				row[4] = v.den
			}
			return row
		})
}

// recomputeMeasures works out the measures pick picks afresh from the
// stored rows, for one month or (month zero) every month loaded: one
// GROUP BY a month gives each practice's sums for every measure at once.
func (c conn) recomputeMeasures(ctx context.Context, pick func(access.Measure) bool, month time.Time) error {
	ms, err := c.newMeasureSet(ctx, pick)
	if err != nil || len(ms.measures) == 0 {
		return err
	}
	months := []time.Time{month}
	if month.IsZero() {
		if months, err = c.dates(ctx, "SELECT month FROM appointment_months ORDER BY month"); err != nil {
			return err
		}
	}
	var sums []string
	for _, m := range ms.measures {
		sums = append(sums, sumSQL(m.Numerator), sumSQL(m.Denominator))
	}
	q := "SELECT practice_code, " + strings.Join(sums, ", ") + " FROM practice_appointments WHERE month = ? GROUP BY practice_code"
	for _, month := range months {
		lists, err := c.listSizesInMonth(ctx, month)
		if err != nil {
			return err
		}
		// Read the month whole before writing: a transaction's connection
		// runs one query at a time.
		rows, err := c.query(ctx, q, dateArg(month))
		if err != nil {
			return err
		}
		dest := make([]any, 1+len(ms.sums))
		var practice string
		dest[0] = &practice
		for i := range ms.sums {
			dest[1+i] = &ms.sums[i]
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			ms.collect(practice, month, lists)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return ms.write(ctx, c)
}

// sumSQL writes the sum of the appointments a filter picks over
// practice_appointments' rows: the picked bands' columns added up, in the
// rows of the picked statuses, clinician types and modes (numbers only, so
// nothing from outside reaches the SQL text).
func sumSQL(f access.Filter) string {
	conds := []string{"1=1"}
	add := func(col string, vals []int) {
		if len(vals) == 0 {
			return
		}
		var list []string
		for _, v := range vals {
			list = append(list, strconv.Itoa(v))
		}
		conds = append(conds, col+" IN ("+strings.Join(list, ",")+")")
	}
	add("appt_status", ints(f.Statuses))
	add("hcp_type", ints(f.HCPs))
	add("appt_mode", ints(f.Modes))
	bands := bandColumns
	if len(f.Bands) > 0 {
		bands = nil
		for _, b := range f.Bands {
			bands = append(bands, bandColumns[b])
		}
	}
	return "SUM(CASE WHEN " + strings.Join(conds, " AND ") + " THEN " + strings.Join(bands, " + ") + " ELSE 0 END)"
}

func ints[T ~uint8](xs []T) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}

var errCorrupt = errors.New("stored appointment data is damaged")

// decodeCounts reads migration 005's packed counts: the cells that are not
// zero as (gap from the last cell, count) varint pairs. Only the migration
// to plain rows (006) reads them.
func decodeCounts(b []byte) (*access.Counts, error) {
	var c access.Counts
	cell := -1
	for len(b) > 0 {
		gap, n1 := binary.Uvarint(b)
		if n1 <= 0 {
			return nil, errCorrupt
		}
		n, n2 := binary.Uvarint(b[n1:])
		if n2 <= 0 || gap == 0 || gap >= access.Cells || cell+int(gap) >= access.Cells {
			return nil, errCorrupt
		}
		cell += int(gap)
		c[cell] = int64(n)
		b = b[n1+n2:]
	}
	return &c, nil
}

// carryAppointmentsOver is migration 006's Go step. It carries appointments
// into plain rows from whichever shape the database holds them in, 004's
// rows (a database that had not yet taken 005, whose step now leaves them
// be) or 005's packed blobs, works the measures out from them, and drops the
// old tables.
func (c conn) carryAppointmentsOver(ctx context.Context) error {
	has004, err := c.tableExists(ctx, "appointments")
	if err != nil {
		return err
	}
	if has004 {
		var sums []string
		for b := range bandColumns {
			sums = append(sums, fmt.Sprintf("SUM(CASE WHEN band = %d THEN count ELSE 0 END)", b))
		}
		if _, err := c.exec(ctx, "INSERT INTO practice_appointments ("+strings.Join(appointmentColumns, ", ")+
			") SELECT month, practice_code, status, hcp, mode, "+strings.Join(sums, ", ")+
			" FROM appointments GROUP BY month, practice_code, status, hcp, mode ORDER BY month, practice_code, status, hcp, mode"); err != nil {
			return err
		}
	}
	type packed struct {
		k    practiceMonth
		blob []byte
	}
	var list []packed // read whole first: a transaction's connection runs one query at a time
	rows, err := c.query(ctx, "SELECT month, practice_code, counts FROM appointment_counts ORDER BY month, practice_code")
	if err != nil {
		return err
	}
	for rows.Next() {
		var p packed
		if err := rows.Scan(nullTime{&p.k.month}, &p.k.practice, &p.blob); err != nil {
			rows.Close()
			return err
		}
		list = append(list, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var out appointmentRows
	for _, p := range list {
		counts, err := decodeCounts(p.blob)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", p.k.practice, p.k.month.Format("January 2006"), err)
		}
		out.add(p.k.month, p.k.practice, counts)
	}
	if err := c.insertAppointmentRows(ctx, &out); err != nil {
		return err
	}
	months, err := c.dates(ctx, "SELECT DISTINCT month FROM practice_appointments ORDER BY month")
	if err != nil {
		return err
	}
	// The months first (measures are worked out for the months listed),
	// then again once the measures are there to count practices by.
	if err := c.noteAppointmentMonths(ctx, months); err != nil {
		return err
	}
	if err := c.recomputeMeasures(ctx, nil, time.Time{}); err != nil {
		return err
	}
	if err := c.noteAppointmentMonths(ctx, months); err != nil {
		return err
	}
	drop := []string{"appointment_counts", "measure_months"}
	if has004 {
		drop = append(drop, "appointments", "measure_values")
	}
	for _, table := range drop {
		if _, err := c.exec(ctx, "DROP TABLE "+table); err != nil {
			return err
		}
	}
	return nil
}

// tableExists asks the engine's catalogue whether a table is there.
func (c conn) tableExists(ctx context.Context, name string) (bool, error) {
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if c.dialect == Postgres {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
	}
	var n int
	err := c.queryRow(ctx, q, name).Scan(&n)
	return n > 0, err
}

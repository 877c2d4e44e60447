package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
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
		practices := map[string]bool{}
		for k := range im.written {
			practices[k.practice] = true
		}
		res.Practices = len(practices)
		return c.appendAudit(ctx, actor, "import.gpad", "import", file, nil, res)
	})
	return res, err
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
	// maxPending bounds the measure values held (about 40 bytes each; a
	// national month of the shipped measures is about 44,000).
	maxPending int
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
	return &appointmentWriter{c: c, actor: actor, file: file, known: known, written: map[practiceMonth]bool{}, ms: ms}, nil
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

	for _, pm := range batch {
		k := practiceMonth{pm.Practice.Code, pm.Month}
		if w.written[k] {
			// Its rows fell either side of a batch: add the part written.
			var blob []byte
			if err := w.c.queryRow(ctx, "SELECT counts FROM appointment_counts WHERE practice_code = ? AND month = ?",
				k.practice, dateArg(k.month)).Scan(&blob); err != nil {
				return err
			}
			before, err := decodeCounts(blob)
			if err != nil {
				return err
			}
			pm.Counts.Add(before)
		}
		w.written[k] = true
		if err := w.ms.add(ctx, w.c, k.practice, k.month, pm.Counts); err != nil {
			return err
		}
	}
	err := w.c.bulkUpsert(ctx, "appointment_counts", []string{"month", "practice_code", "counts"}, "month, practice_code", len(batch),
		func(i int) []any {
			return []any{dateArg(batch[i].Month), batch[i].Practice.Code, encodeCounts(batch[i].Counts)}
		})
	if err != nil {
		return err
	}
	// Measure values go into their stored months whenever many are held,
	// so that memory does not grow with the months a file holds, and at
	// the end.
	if w.ms.pending < w.maxPending {
		return nil
	}
	return w.ms.write(ctx, w.c)
}

// measureSet works out measures' values for the practice-months given it
// and writes them into the stored measure months.
type measureSet struct {
	measures []access.Measure
	masks    []*access.Mask // each measure's numerator and denominator, in turn
	sums     []int64
	lists    map[time.Time]map[string]int    // registered lists, for per-1,000 measures
	vals     map[measureMonth][]MeasureValue // worked out, not yet written
	pending  int                             // values in vals
	seen     map[time.Time]bool              // every month given
}

type measureMonth struct {
	id    string
	month time.Time
}

// measuresLock serialises, across PostgreSQL connections and servers, the
// transactions that merge values into stored measure months (read, merge,
// write back), so that two at once cannot lose each other's practices.
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
	all, err := c.measures(ctx)
	if err != nil {
		return nil, err
	}
	ms := &measureSet{lists: map[time.Time]map[string]int{}, vals: map[measureMonth][]MeasureValue{}, seen: map[time.Time]bool{}}
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
	for i, m := range ms.measures {
		v := MeasureValue{Practice: practice, Month: month, Num: ms.sums[2*i], Den: ms.sums[2*i+1], HasDen: true}
		if m.Unit == access.Per1000 {
			n, ok := lists[practice]
			v.Den, v.HasDen = int64(n), ok
		}
		k := measureMonth{m.ID, month}
		ms.vals[k] = append(ms.vals[k], v)
		ms.pending++
	}
	return nil
}

func (ms *measureSet) months() []time.Time {
	out := slices.Collect(maps.Keys(ms.seen))
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// write merges the values worked out into each measure month: a practice's
// value replaces its old one; other practices' stay.
func (ms *measureSet) write(ctx context.Context, c conn) error {
	defer func() { clear(ms.vals); ms.pending = 0 }()
	for k, vals := range ms.vals {
		var blob []byte
		err := c.queryRow(ctx, "SELECT vals FROM measure_months WHERE measure_id = ? AND month = ?", k.id, dateArg(k.month)).Scan(&blob)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		old, err := decodeMeasureMonth(blob, k.month)
		if err != nil {
			return fmt.Errorf("measure %s, %s: %w", k.id, k.month.Format("January 2006"), err)
		}
		merged := mergeValues(old, vals)
		if _, err := c.exec(ctx, `INSERT INTO measure_months (measure_id, month, practices, vals) VALUES (?, ?, ?, ?)
			ON CONFLICT (measure_id, month) DO UPDATE SET practices = excluded.practices, vals = excluded.vals`,
			k.id, dateArg(k.month), len(merged), encodeMeasureMonth(merged)); err != nil {
			return err
		}
	}
	return nil
}

// mergeValues merges new values into old ones (in practice order, as
// stored): a practice's new value replaces its old one, and of two new
// values for one practice the later wins.
func mergeValues(old, new []MeasureValue) []MeasureValue {
	slices.SortStableFunc(new, func(a, b MeasureValue) int { return strings.Compare(a.Practice, b.Practice) })
	out := make([]MeasureValue, 0, len(old)+len(new))
	i := 0
	for j, v := range new {
		if j+1 < len(new) && new[j+1].Practice == v.Practice {
			continue
		}
		for i < len(old) && old[i].Practice < v.Practice {
			out = append(out, old[i])
			i++
		}
		if i < len(old) && old[i].Practice == v.Practice {
			i++
		}
		out = append(out, v)
	}
	return append(out, old[i:]...)
}

// recomputeMeasures works out the measures pick picks afresh from the
// stored counts, for one month or (month zero) every month loaded.
func (c conn) recomputeMeasures(ctx context.Context, pick func(access.Measure) bool, month time.Time) error {
	ms, err := c.newMeasureSet(ctx, pick)
	if err != nil || len(ms.measures) == 0 {
		return err
	}
	months := []time.Time{month}
	if month.IsZero() {
		if months, err = c.dates(ctx, "SELECT DISTINCT month FROM appointment_counts ORDER BY month"); err != nil {
			return err
		}
	}
	for _, month := range months {
		// Read the month whole before working on it: a transaction's
		// connection runs one query at a time.
		type stored struct {
			practice string
			blob     []byte
		}
		var list []stored
		rows, err := c.query(ctx, "SELECT practice_code, counts FROM appointment_counts WHERE month = ?", dateArg(month))
		if err != nil {
			return err
		}
		for rows.Next() {
			var x stored
			if err := rows.Scan(&x.practice, &x.blob); err != nil {
				rows.Close()
				return err
			}
			list = append(list, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range list {
			counts, err := decodeCounts(x.blob)
			if err == nil {
				err = ms.add(ctx, c, x.practice, month, counts)
			}
			if err != nil {
				return err
			}
		}
	}
	return ms.write(ctx, c)
}

// encodeCounts packs the cells that are not zero as (gap from the last
// cell, count) varint pairs.
func encodeCounts(c *access.Counts) []byte {
	out := make([]byte, 0, 256)
	last := -1
	for i, n := range c {
		if n != 0 {
			out = binary.AppendUvarint(out, uint64(i-last))
			out = binary.AppendUvarint(out, uint64(n))
			last = i
		}
	}
	return out
}

var errCorrupt = errors.New("stored appointment data is damaged")

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

// encodeMeasureMonth packs every practice's value, in practice order:
// the code's length and bytes, the numerator, and the denominator plus one
// (zero when it is not known).
func encodeMeasureMonth(vals []MeasureValue) []byte {
	out := make([]byte, 0, len(vals)*12)
	for _, v := range vals {
		out = binary.AppendUvarint(out, uint64(len(v.Practice)))
		out = append(out, v.Practice...)
		out = binary.AppendUvarint(out, uint64(v.Num))
		den := uint64(0)
		if v.HasDen {
			den = uint64(v.Den) + 1
		}
		out = binary.AppendUvarint(out, den)
	}
	return out
}

func decodeMeasureMonth(b []byte, month time.Time) ([]MeasureValue, error) {
	var out []MeasureValue
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errCorrupt
		}
		v := MeasureValue{Practice: string(b[k : k+int(n)]), Month: month}
		b = b[k+int(n):]
		num, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errCorrupt
		}
		den, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return nil, errCorrupt
		}
		b = b[k1+k2:]
		v.Num = int64(num)
		if den > 0 {
			v.Den, v.HasDen = int64(den-1), true
		}
		out = append(out, v)
	}
	return out, nil
}

// convertAppointments carries migration 004's appointments (a row per
// combination) into 005's packed rows, works the measures out from them and
// drops 004's tables.
func (c conn) convertAppointments(ctx context.Context) error {
	rows, err := c.query(ctx, "SELECT practice_code, month, status, hcp, mode, band, count FROM appointments ORDER BY practice_code, month")
	if err != nil {
		return err
	}
	type packed struct {
		k    practiceMonth
		blob []byte
	}
	var list []packed // packed as read: a transaction's connection runs one query at a time
	var cur practiceMonth
	var counts access.Counts
	done := func() {
		if cur.practice != "" {
			list = append(list, packed{cur, encodeCounts(&counts)})
		}
		counts = access.Counts{}
	}
	for rows.Next() {
		var k practiceMonth
		var st access.Status
		var h access.HCP
		var mo access.Mode
		var b access.Band
		var n int64
		if err := rows.Scan(&k.practice, nullTime{&k.month}, &st, &h, &mo, &b, &n); err != nil {
			rows.Close()
			return err
		}
		if k != cur {
			done()
			cur = k
		}
		counts[access.Cell(st, h, mo, b)] += n
	}
	done()
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	err = c.bulkUpsert(ctx, "appointment_counts", []string{"month", "practice_code", "counts"}, "month, practice_code", len(list),
		func(i int) []any { return []any{dateArg(list[i].k.month), list[i].k.practice, list[i].blob} })
	if err != nil {
		return err
	}
	if err := c.recomputeMeasures(ctx, nil, time.Time{}); err != nil {
		return err
	}
	for _, table := range []string{"measure_values", "appointments"} {
		if _, err := c.exec(ctx, "DROP TABLE "+table); err != nil {
			return err
		}
	}
	return nil
}
